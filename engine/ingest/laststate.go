package ingest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// lastItem names the machine columns that hold the newest item of a kind
// and its occurred_at (the seed's lastLog, lastRevenuetransaction).
type lastItem struct{ id, at string }

// The last-item columns of events and sales.
var (
	lastLog                = lastItem{"last_log", "last_log_at"}
	lastRevenuetransaction = lastItem{"last_revenuetransaction", "last_revenuetransaction_at"}
)

// onlyForwardLastItemSQL moves each machine's last item to the newest new
// item of the batch ($1–$3: machine, id, occurredAt, one per machine). The
// WHERE guards the invariant: the last item only moves forward in
// (occurred_at, id), so a late backlog never moves it back, and a batch that
// waited for a concurrent batch's lock on the same machine is re-checked
// against the row it waited for.
func onlyForwardLastItemSQL(last lastItem) string {
	return `UPDATE machines m SET ` + last.id + ` = n.id, ` + last.at + ` = n.at
FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) AS n (machine, id, at)
WHERE m.id = n.machine
	AND (m.` + last.at + ` IS NULL OR (m.` + last.at + `, m.` + last.id + `) < (n.at, n.id))`
}

// newestItem is a machine's newest new item.
type newestItem struct {
	machine, id int64
	at          time.Time
}

// moveLastItems keeps the machines' last item of a kind after a batch
// stored n new items (item(i) gives the i-th one's machine, id and
// occurredAt): one statement for the whole batch, none when nothing was
// new. The newest per machine is picked here from what the insert
// returned, and the machines are passed in id order, so that batches of
// several machines lock them in one order.
func moveLastItems(ctx context.Context, tx *gorm.DB, last lastItem, n int,
	item func(i int) (machine, id int64, at time.Time)) error {
	if n == 0 {
		return nil
	}
	newest := map[int64]newestItem{}
	for i := range n {
		m, id, at := item(i)
		if cur, ok := newest[m]; !ok || at.After(cur.at) || (at.Equal(cur.at) && id > cur.id) {
			newest[m] = newestItem{m, id, at}
		}
	}
	machines := make([]int64, 0, len(newest))
	for m := range newest {
		machines = append(machines, m)
	}
	slices.Sort(machines)
	ids, ats := make([]int64, len(machines)), make([]time.Time, len(machines))
	for i, m := range machines {
		ids[i], ats[i] = newest[m].id, newest[m].at
	}
	if _, err := pg.Exec(ctx, tx, onlyForwardLastItemSQL(last), machines, ids, ats); err != nil {
		return fmt.Errorf("move last items: %w", pg.MapError(err))
	}
	return nil
}

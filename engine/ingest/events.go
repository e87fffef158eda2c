package ingest

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// IngestEvents validates a batch of events as a whole and stores the ones
// not stored before for the same (machine, remote). Returns EINVALID naming
// the item ("[3].occurredAt") when any item is wrong, in which case nothing
// is stored, and EFORBIDDEN when a device names another machine. The batch
// and its observers run within the service's Budget (EUNAVAILABLE when
// spent, nothing stored) and stop when ctx ends.
func (s *Service) IngestEvents(ctx context.Context, sc models.Scope, in []models.EventInput) (Result, error) {
	ctx, spent, cancel := rules.WithBudget(ctx, s.budget(), "the batch")
	defer cancel()
	res, err := s.ingestEvents(ctx, sc, in)
	return res, spent(err)
}

// ingestEvents is IngestEvents within its budget.
func (s *Service) ingestEvents(ctx context.Context, sc models.Scope, in []models.EventInput) (Result, error) {
	if err := checkSize(len(in)); err != nil {
		return Result{}, err
	}
	events, err := s.prepareEvents(ctx, sc, in)
	if err != nil {
		return Result{}, err
	}
	b := &Batch{Scope: sc}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if b.Events, err = insertEvents(ctx, tx, events); err != nil {
			return err
		}
		err := moveLastItems(ctx, tx, lastLog, len(b.Events), func(i int) (int64, int64, time.Time) {
			return b.Events[i].Machine, b.Events[i].ID, b.Events[i].OccurredAt
		})
		if err != nil {
			return err
		}
		if b.Resolved, err = resolveEvents(ctx, tx, b.Events); err != nil {
			return err
		}
		applyResolutions(b.Events, b.Resolved)
		return s.stored(ctx, tx, b)
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Stored: len(b.Events), Duplicates: len(events) - len(b.Events)}, nil
}

// prepareEvents validates every item, binds it to its machine and fills in
// what comes from the machine.
func (s *Service) prepareEvents(ctx context.Context, sc models.Scope, in []models.EventInput) ([]models.Event, error) {
	events := make([]models.Event, len(in))
	ids := make([]int64, len(in))
	for i := range in {
		e, err := in[i].Event()
		if err != nil {
			return nil, models.PrefixError(err, fmt.Sprintf("[%d].", i))
		}
		if e.Machine, err = machineOf(sc, i, in[i].Machine); err != nil {
			return nil, err
		}
		events[i], ids[i] = e, e.Machine
	}
	codes := make([]string, len(events))
	for i := range events {
		codes[i] = events[i].Code
	}
	ms, idents, err := s.resolveMachines(ctx, sc, ids, distinct(codes))
	if err != nil {
		return nil, err
	}
	fillFromMachines(events, ms, idents)
	return events, nil
}

// fillFromMachines sets each event's tenant, location and time zone from its
// machine, and maps its raw code to an error identity through the error
// profile of the machine's model (nil when the code is not mapped).
func fillFromMachines(events []models.Event, ms map[int64]machine, idents map[profileCode]int64) {
	for i := range events {
		e, m := &events[i], ms[events[i].Machine]
		e.UserGroup, e.Location, e.TimeZone = m.UserGroup, m.Location, m.TimeZone
		if m.ErrorProfile != nil {
			if id, ok := idents[profileCode{*m.ErrorProfile, e.Code}]; ok {
				e.ErrorIdentity = &id
			}
		}
	}
}

// machineRemote is the idempotency key of an item.
type machineRemote struct{ machine, remote int64 }

// eventColumns returns the stored columns of events.
func eventColumns(events []models.Event) []column {
	n := len(events)
	groups, machines, locations, remotes, types := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n)
	codes, zones := make([]string, n), make([]string, n)
	idents, durations := make([]*int64, n), make([]*int64, n)
	resolvable := make([]bool, n)
	occurred, resolved := make([]time.Time, n), make([]*time.Time, n)
	extra, states := make([]*string, n), make([]*string, n)
	for i := range events {
		e := &events[i]
		groups[i], machines[i], locations[i], remotes[i], types[i] = e.UserGroup, e.Machine, e.Location, e.Remote, e.Type
		codes[i], zones[i], idents[i], durations[i] = e.Code, e.TimeZone, e.ErrorIdentity, e.Duration
		resolvable[i], occurred[i], resolved[i], extra[i], states[i] = e.IsResolvable, e.OccurredAt, e.ResolvedAt,
			e.ExtraData, e.State
	}
	return []column{{"user_group", "bigint", groups}, {"machine", "bigint", machines},
		{"location", "bigint", locations}, {"remote", "bigint", remotes}, {"code", "text", codes},
		{"error_identity", "bigint", idents}, {"type", "bigint", types}, {"is_resolvable", "boolean", resolvable},
		{"occurred_at", "timestamptz", occurred}, {"time_zone", "text", zones}, {"duration", "bigint", durations},
		{"extra_data", "text", extra}, {"resolved_at", "timestamptz", resolved}, {"state", "text", states}}
}

// insertEvents inserts events, skipping those already stored, and returns
// the new ones with their ids.
func insertEvents(ctx context.Context, tx *gorm.DB, events []models.Event) ([]models.Event, error) {
	return insertNew(ctx, tx, "logs", eventColumns(events), events, func(e *models.Event) machineRemote {
		return machineRemote{e.Machine, e.Remote}
	})
}

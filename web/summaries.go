package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// registerSummaryRoutes registers the dashboard's summaries of events and
// sales for managers (docs/dashboard.md).
func registerSummaryRoutes(managers *gin.RouterGroup, db *pg.DB, svc *ingest.Service) {
	if svc == nil {
		svc = &ingest.Service{DB: db, Now: time.Now}
	}
	managers.GET("/logs/summary", func(c *gin.Context) {
		q, err := summaryQuery(c, "limit")
		if err != nil {
			fail(c, err)
			return
		}
		rows, err := svc.EventSummary(c.Request.Context(), scopeOf(c), q)
		answer(c, rows, err)
	})
	managers.GET("/revenuetransactions/summary", func(c *gin.Context) {
		q, err := summaryQuery(c)
		if err != nil {
			fail(c, err)
			return
		}
		days, err := svc.RevenueSummary(c.Request.Context(), scopeOf(c), q)
		answer(c, days, err)
	})
}

// summaryParams are the query parameters every summary takes; the seed's
// arrays come as machines[]=1&machines[]=2, machines=1,2 works too.
var summaryParams = []string{"startDate", "endDate", "machines", "machines[]", "locations", "locations[]"}

// summaryQuery reads a summary's query string strictly: a parameter that
// is not in summaryParams or extra is EINVALID, so that a misspelt filter
// does not silently widen the answer.
func summaryQuery(c *gin.Context, extra ...string) (ingest.SummaryQuery, error) {
	values, err := queryValues(c)
	if err != nil {
		return ingest.SummaryQuery{}, err
	}
	for name := range values {
		if !slices.Contains(summaryParams, name) && !slices.Contains(extra, name) {
			return ingest.SummaryQuery{}, models.FieldError(name, "is not a parameter of summaries")
		}
	}
	q := ingest.SummaryQuery{StartDate: values.Get("startDate"), EndDate: values.Get("endDate")}
	if q.Machines, err = idParam(values, "machines"); err != nil {
		return q, err
	}
	if q.Locations, err = idParam(values, "locations"); err != nil {
		return q, err
	}
	if s := values.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit == 0 {
			return q, models.FieldError("limit", "must be 1 to %d", ingest.MaxEventSummaryLimit)
		}
	}
	return q, nil
}

// idParam reads the ids of name and name[], each value one id or a
// comma-separated list.
func idParam(values url.Values, name string) ([]int64, error) {
	var ids []int64
	for _, v := range append(values[name], values[name+"[]"]...) {
		for _, s := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, models.FieldError(name, "must be ids such as 1,2")
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

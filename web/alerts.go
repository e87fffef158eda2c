package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// alertsRes is served by the generic list, export and get code.
var alertsRes = &models.Resource{Name: "alerts", Table: "alerts",
	Columns: models.NewColumns("id", "observer", "machine", "status", "startedAt", "resolvedAt", "lastNotifiedAt",
		"count", "notified", "userGroup", "createdAt", "updatedAt")}

// defaultBacktestRange is the period of a backtest that names none: the
// last day.
const defaultBacktestRange = 24 * time.Hour

// registerAlertRoutes registers /alerts, the status views and backtests for
// managers.
func registerAlertRoutes(managers *gin.RouterGroup, db *pg.DB, engine *alerts.Engine) {
	managers.GET("/alerts", func(c *gin.Context) { listResource[models.Alert](c, db, alertsRes) })
	managers.GET("/alerts/export", exportHandler(db, alertsRes))
	managers.GET("/alerts/:id", getAlert(db))
	managers.GET("/alertobservers/status/:status", func(c *gin.Context) {
		items, err := engine.ObserversByStatus(c.Request.Context(), scopeOf(c), c.Param("status"))
		answer(c, items, err)
	})
	managers.GET("/machines/status/:status", func(c *gin.Context) {
		items, err := engine.MachinesByStatus(c.Request.Context(), scopeOf(c), c.Param("status"))
		answer(c, items, err)
	})
	managers.POST("/alertobservers/:id/backtest", backtestSaved(db, engine))
	managers.POST("/alertobservers/backtest", backtestUnsaved(engine))
}

// getAlert answers one alert; another tenant's is 404.
func getAlert(db *pg.DB) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		a, err := pg.Get[models.Alert](c.Request.Context(), db.DB, scopeOf(c), alertsRes, id)
		answer(c, a, err)
	}
}

// answer writes v as JSON, or the error.
func answer[T any](c *gin.Context, v T, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// period is the body of a backtest: RFC 3339 times, by default the last
// day.
type period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (p period) times(now time.Time) (from, to time.Time, err error) {
	to = now
	if p.To != "" {
		if to, err = models.ParseTime("to", p.To); err != nil {
			return
		}
	}
	from = to.Add(-defaultBacktestRange)
	if p.From != "" {
		from, err = models.ParseTime("from", p.From)
	}
	return
}

// backtestSaved replays a stored observer: POST /alertobservers/:id/backtest
// {from, to}.
func backtestSaved(db *pg.DB, engine *alerts.Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		var p period
		if err := decode(c, &p); err != nil {
			fail(c, err)
			return
		}
		o, err := pg.Get[models.AlertObserver](c.Request.Context(), db.DB, scopeOf(c), alertObserversRes, id)
		if err != nil {
			fail(c, err)
			return
		}
		runBacktest(c, engine, *o, p)
	}
}

// unsavedBacktest is an observer's fields with the period.
type unsavedBacktest struct {
	models.AlertObserver
	period
}

// backtestUnsaved replays an observer given in the body:
// POST /alertobservers/backtest {…observer, from, to}.
func backtestUnsaved(engine *alerts.Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in unsavedBacktest
		in.Machines = models.IDList{}
		if err := decode(c, &in); err != nil {
			fail(c, err)
			return
		}
		o := in.AlertObserver
		o.ID, o.UserGroup, o.CreatedAt = 0, scopeOf(c).GroupID, time.Time{}
		runBacktest(c, engine, o, in.period)
	}
}

func runBacktest(c *gin.Context, engine *alerts.Engine, o models.AlertObserver, p period) {
	from, to, err := p.times(engine.Time())
	if err != nil {
		fail(c, err)
		return
	}
	out, err := engine.Backtest(c.Request.Context(), scopeOf(c), o, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"from": from, "to": to, "alerts": out})
}

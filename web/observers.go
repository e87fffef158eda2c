package web

import (
	"bytes"
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// alertObserversRes is served by the generic CRUD code.
var alertObserversRes = &models.Resource{Name: "alertobservers", Table: "alert_observers",
	Columns: models.NewColumns("id", "name", "type", "observer", "timer", "timerType", "alertGroup", "error",
		"occurs", "paymentMethod", "openingHours", "condition", "repeatEvery", "notifyResolved", "userGroup",
		"createdAt", "updatedAt")}

// observer is an alert observer whose Validate also compiles its condition,
// so that the generic CRUD code reports a bad condition as 422.
type observer struct {
	models.AlertObserver
}

// Validate checks the fields and compiles the condition.
func (o *observer) Validate() error { return ingest.ValidateObserver(&o.AlertObserver) }

// UnmarshalJSON decodes the observer's own fields strictly, so that errors
// name "timer" rather than "AlertObserver.timer".
func (o *observer) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.AlertObserver)
}

// registerObserverRoutes registers /alertobservers for managers.
func registerObserverRoutes(managers *gin.RouterGroup, db *pg.DB) {
	registerCRUD[observer](managers, db, alertObserversRes)
}

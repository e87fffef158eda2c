package web

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/rules"
)

// checkRequest is the body of POST /rules/check.
type checkRequest struct {
	Expr   string          `json:"expr"`
	Kind   string          `json:"kind"`
	Sample json.RawMessage `json:"sample"`
}

// checkResponse is its answer: whether the expression compiles and, with a
// sample, its value.
type checkResponse struct {
	Valid bool `json:"valid"`
	Value any  `json:"value,omitempty"`
}

// checkRule compiles an expression for a manager before saving it; compile
// errors are 422 with the position, sample errors 400, and a tenant whose
// earlier checks still hold the gate (rules.Tenants) 429. The request's
// context stops the evaluation when the client goes away. The gate's key is
// the tenant's root group, so that sub-groups share their tenant's turn.
func checkRule(db *pg.DB) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req checkRequest
		if err := decode(c, &req); err != nil {
			fail(c, err)
			return
		}
		kind, err := rules.ParseKind(req.Kind)
		if err != nil {
			fail(c, err)
			return
		}
		tenant, err := ingest.TenantRoot(c.Request.Context(), db.DB, scopeOf(c).GroupID)
		if err != nil {
			fail(c, err)
			return
		}
		v, err := rules.Check(c.Request.Context(), tenant, kind, req.Expr, req.Sample)
		respond(c, checkResponse{Valid: true, Value: v}, err)
	}
}

package web

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/rules"
)

// registerVoucherDeviceRoutes registers the routes a device uses on a
// voucher. Business outcomes (not found, expired, …) are 200 answers with
// valid or redeemed false and a reason.
func registerVoucherDeviceRoutes(g *gin.RouterGroup, vs *vouchers.Service) {
	h := voucherDeviceHandlers{vs: vs}
	g.POST("/voucher/:code/validate", h.validate)
	g.POST("/voucher/:code/redeem", h.redeem)
	g.POST("/voucher/:code/rollback", h.rollback)
	g.DELETE("/voucher/:code/lock", h.unlock)
}

type voucherDeviceHandlers struct{ vs *vouchers.Service }

func (h voucherDeviceHandlers) validate(c *gin.Context) {
	var req vouchers.ValidateRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	resp, err := h.vs.Validate(c.Request.Context(), scopeOf(c), c.Param("code"), req)
	respond(c, resp, err)
}

// redeem answers the engine's bytes as they are, so that a retry gets the
// first answer byte for byte.
func (h voucherDeviceHandlers) redeem(c *gin.Context) {
	var req vouchers.RedeemRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	out, err := h.vs.Redeem(c.Request.Context(), scopeOf(c), c.Param("code"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", out)
}

func (h voucherDeviceHandlers) rollback(c *gin.Context) {
	var req vouchers.RollbackRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	resp, err := h.vs.Rollback(c.Request.Context(), scopeOf(c), c.Param("code"), req)
	respond(c, resp, err)
}

func (h voucherDeviceHandlers) unlock(c *gin.Context) {
	var req vouchers.UnlockRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	resp, err := h.vs.Unlock(c.Request.Context(), scopeOf(c), c.Param("code"), req)
	respond(c, resp, err)
}

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
// errors are 422 with the position, sample errors 400.
func checkRule(c *gin.Context) {
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
	v, err := rules.Check(kind, req.Expr, req.Sample)
	respond(c, checkResponse{Valid: true, Value: v}, err)
}

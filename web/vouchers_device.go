package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/vouchers"
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

// validate answers the JSON the engine logged.
func (h voucherDeviceHandlers) validate(c *gin.Context) {
	var req vouchers.ValidateRequest
	body, err := decodeBody(c, &req)
	if err != nil {
		fail(c, err)
		return
	}
	req.Body = body
	resp, err := h.vs.Validate(c.Request.Context(), scopeOf(c), c.Param("code"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", resp.JSON())
}

// redeem answers the engine's bytes as they are, so that a retry gets the
// first answer byte for byte.
func (h voucherDeviceHandlers) redeem(c *gin.Context) {
	var req vouchers.RedeemRequest
	body, err := decodeBody(c, &req)
	if err != nil {
		fail(c, err)
		return
	}
	req.Body = body
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

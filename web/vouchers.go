package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// registerVoucherRoutes registers the campaign and voucher routes: manager
// routes under managers, and the device routes (validate, redeem, rollback,
// unlock) under authed, where managers may call them too.
func registerVoucherRoutes(managers, authed *gin.RouterGroup, db *pg.DB, vs *vouchers.Service) {
	h := voucherHandlers{db: db, vs: vs}
	managers.GET("/campaigns", h.listCampaigns)
	managers.GET("/campaigns/export", exportHandler(db, vouchers.CampaignsRes))
	managers.POST("/campaigns", h.createCampaign)
	managers.GET("/campaigns/:id", h.getCampaign)
	managers.PUT("/campaigns/:id", h.updateCampaign)
	managers.DELETE("/campaigns/:id", h.deleteCampaign)
	managers.GET("/campaigns/:id/vouchers", h.campaignVouchers)
	managers.GET("/campaigns/:id/validationrules", h.getValidationRules)
	managers.PUT("/campaigns/:id/validationrules", h.setValidationRules)
	managers.GET("/campaigns/:id/stats", h.campaignStats)

	managers.GET("/vouchers", h.listVouchers)
	managers.GET("/vouchers/export", exportHandler(db, vouchers.VouchersRes))
	managers.POST("/vouchers", h.createVouchers)
	managers.GET("/vouchers/:id", h.getVoucher)
	managers.PUT("/vouchers/:id", h.updateVoucher)
	managers.DELETE("/vouchers/:id", h.deleteVoucher)
	managers.GET("/vouchers/:id/logs", h.voucherLogs)
	managers.GET("/voucherlogs", h.listVoucherLogs)
	managers.GET("/voucherlogs/export", exportHandler(db, vouchers.VoucherLogsRes))
	managers.GET("/redemptions", h.listRedemptions)
	managers.POST("/redemptions/:id/rollback", h.rollbackRedemption)
	managers.POST("/rules/check", checkRule(db))

	registerVoucherDeviceRoutes(authed, vs)
}

type voucherHandlers struct {
	db *pg.DB
	vs *vouchers.Service
}

func (h voucherHandlers) listCampaigns(c *gin.Context) {
	listResource[models.Campaign](c, h.db, vouchers.CampaignsRes)
}

func (h voucherHandlers) createCampaign(c *gin.Context) {
	var in models.Campaign
	in.SetDefaults()
	if err := decode(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := h.vs.CreateCampaign(c.Request.Context(), scopeOf(c), &in); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": in.ID})
}

func (h voucherHandlers) getCampaign(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	v, err := h.vs.Campaign(c.Request.Context(), scopeOf(c), id)
	respond(c, v, err)
}

func (h voucherHandlers) updateCampaign(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var p models.CampaignPatch
	if err := decode(c, &p); err != nil {
		fail(c, err)
		return
	}
	v, err := h.vs.UpdateCampaign(c.Request.Context(), scopeOf(c), id, &p)
	respond(c, v, err)
}

func (h voucherHandlers) deleteCampaign(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	err := h.vs.DeleteCampaign(c.Request.Context(), scopeOf(c), id)
	respond(c, gin.H{"message": "deleted"}, err)
}

func (h voucherHandlers) getValidationRules(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	rs, err := h.vs.ValidationRules(c.Request.Context(), scopeOf(c), id)
	respond(c, rs, err)
}

func (h voucherHandlers) setValidationRules(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var rs models.ValidationRules
	if err := decode(c, &rs); err != nil {
		fail(c, err)
		return
	}
	err := h.vs.SetValidationRules(c.Request.Context(), scopeOf(c), id, rs)
	respond(c, gin.H{"message": "validation rules set"}, err)
}

func (h voucherHandlers) campaignStats(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	st, err := h.vs.CampaignStats(c.Request.Context(), scopeOf(c), id)
	respond(c, st, err)
}

func (h voucherHandlers) campaignVouchers(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	q, ok := voucherListQuery(c, vouchers.VouchersRes)
	if !ok {
		return
	}
	items, total, err := h.vs.CampaignVouchers(c.Request.Context(), scopeOf(c), id, q)
	respondVoucherList(c, items, total, err)
}

func (h voucherHandlers) listVouchers(c *gin.Context) {
	q, ok := voucherListQuery(c, vouchers.VouchersRes)
	if !ok {
		return
	}
	items, total, err := h.vs.ListVouchers(c.Request.Context(), scopeOf(c), q)
	respondVoucherList(c, items, total, err)
}

// createVouchers answers 201 with the voucher, or with {"codes": [...]}
// when count > 1 (the seed answered an empty body there, which left the
// caller without the codes it had made).
func (h voucherHandlers) createVouchers(c *gin.Context) {
	var in models.VoucherInput
	if err := decode(c, &in); err != nil {
		fail(c, err)
		return
	}
	var v any
	var err error
	if in.Count > 1 {
		var codes []string
		codes, err = h.vs.CreateVoucherBatch(c.Request.Context(), scopeOf(c), &in)
		v = gin.H{"codes": codes}
	} else {
		v, err = h.vs.CreateVouchers(c.Request.Context(), scopeOf(c), &in)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (h voucherHandlers) getVoucher(c *gin.Context) {
	v, err := h.vs.Voucher(c.Request.Context(), scopeOf(c), c.Param("id"))
	respond(c, v, err)
}

func (h voucherHandlers) updateVoucher(c *gin.Context) {
	var p models.VoucherPatch
	if err := decode(c, &p); err != nil {
		fail(c, err)
		return
	}
	v, err := h.vs.UpdateVoucher(c.Request.Context(), scopeOf(c), c.Param("id"), &p)
	respond(c, v, err)
}

func (h voucherHandlers) deleteVoucher(c *gin.Context) {
	err := h.vs.DeleteVoucher(c.Request.Context(), scopeOf(c), c.Param("id"))
	respond(c, gin.H{"message": "deleted"}, err)
}

func (h voucherHandlers) voucherLogs(c *gin.Context) {
	q, ok := voucherListQuery(c, vouchers.VoucherLogsRes)
	if !ok {
		return
	}
	items, total, err := h.vs.Logs(c.Request.Context(), scopeOf(c), c.Param("id"), q)
	respondVoucherList(c, items, total, err)
}

func (h voucherHandlers) listVoucherLogs(c *gin.Context) {
	listResource[models.VoucherLog](c, h.db, vouchers.VoucherLogsRes)
}

func (h voucherHandlers) listRedemptions(c *gin.Context) {
	listResource[models.Redemption](c, h.db, vouchers.RedemptionsRes)
}

func (h voucherHandlers) rollbackRedemption(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	resp, err := h.vs.RollbackRedemption(c.Request.Context(), scopeOf(c), id)
	respond(c, resp, err)
}

// voucherListQuery parses the list parameters against r's columns.
func voucherListQuery(c *gin.Context, r *models.Resource) (models.ListQuery, bool) {
	values, err := queryValues(c)
	if err == nil {
		var q models.ListQuery
		if q, err = models.ParseListQuery(values, r.Columns); err == nil {
			return q, true
		}
	}
	fail(c, err)
	return models.ListQuery{}, false
}

// respondVoucherList answers a page of items with X-Total-Count.
func respondVoucherList(c *gin.Context, items any, total int64, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("X-Total-Count", strconv.FormatInt(total, 10))
	c.JSON(http.StatusOK, items)
}

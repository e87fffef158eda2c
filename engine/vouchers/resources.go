package vouchers

import "github.com/vendrule/vendrule/models"

// The voucher resources for the generic list and export code, with the
// columns each allows in where, sort and export.
var (
	CampaignsRes = &models.Resource{Name: "campaigns", Table: "campaigns", Columns: models.NewColumns(
		"id", "name", "totalVouchers", "generatedVouchers", "type", "valueType", "voucherValue",
		"redemptionLimit", "resetFrequency", "expiresOn", "currency", "timeZone", "status", "prefix",
		"ownerId", "userGroup", "createdAt", "updatedAt")}
	VouchersRes = &models.Resource{Name: "vouchers", Table: "vouchers", Columns: models.NewColumns(
		"id", "code", "campaign", "type", "prefix", "value", "valueType", "redemptionLimit",
		"redemptionCount", "totalRedemptionCount", "amountRedeemed", "totalAmountRedeemed", "resetFrequency",
		"expiresOn", "timeZone", "status", "lockOwner", "lockedTill", "lastRedemptionAt",
		"lastRedemptionLocation", "text1", "text2", "text3", "text4", "voucherComments", "userGroup",
		"createdAt", "updatedAt")}
	VoucherLogsRes = &models.Resource{Name: "voucherlogs", Table: "voucher_logs", Columns: models.NewColumns(
		"id", "voucher", "requester", "requesterLocation", "action", "success", "request", "response",
		"currency", "userGroup", "createdAt")}
	RedemptionsRes = &models.Resource{Name: "redemptions", Table: "redemptions", Columns: models.NewColumns(
		"id", "voucher", "campaign", "deviceId", "orderId", "machine", "location", "amount", "periodStart",
		"rolledBackAt", "userGroup", "createdAt")}
)

package models

import "slices"

// The fields of campaigns and vouchers as GET shows them that only the
// server writes, accepted in bodies and dropped (see ReadOnly).

// campaignReadOnly are a campaign's owner, generation state, statistics,
// resets and printed sheet.
var campaignReadOnly = readOnly("ownerId", "generatedVouchers", "generationError", "campaignstats",
	"lastResetAt", "vouchersPdfStatus", "vouchersPdfUrl")

// ReadOnlyFields returns the fields a campaign body may carry but not set.
func (c *Campaign) ReadOnlyFields() []string { return campaignReadOnly }

// ReadOnlyFields returns the fields a campaign update may carry but not
// set; Apply checks the ones that must agree with the stored campaign.
func (p *CampaignPatch) ReadOnlyFields() []string { return campaignReadOnly }

// CampaignFixed are the fields of a campaign that an update may repeat as
// GET shows them but not change.
type CampaignFixed struct {
	Type          *string `json:"type"`
	Prefix        *string `json:"prefix"`
	Suffix        *string `json:"suffix"`
	CodeLength    *int    `json:"codeLength"`
	CodeAlphabet  *string `json:"codeAlphabet"`
	TotalVouchers *int    `json:"totalVouchers"`
	UserGroup     *int64  `json:"userGroup"`
}

// check returns EINVALID naming the first field that differs from c's.
func (f CampaignFixed) check(c *Campaign) error {
	return firstError(unchanged("type", f.Type, c.Type), unchanged("prefix", f.Prefix, c.Prefix),
		unchanged("totalVouchers", f.TotalVouchers, c.TotalVouchers),
		unchanged("suffix", f.Suffix, c.Suffix), unchanged("codeLength", f.CodeLength, c.CodeLength),
		unchanged("codeAlphabet", f.CodeAlphabet, c.CodeAlphabet),
		unchanged("userGroup", f.UserGroup, c.UserGroup))
}

// unchanged returns EINVALID naming field when a body sets a field that
// cannot change to a value other than the stored one.
func unchanged[T comparable](field string, sent *T, stored T) error {
	if sent != nil && *sent != stored {
		return FieldError(field, "cannot change")
	}
	return nil
}

// voucherReadOnly are the fields of a voucher as GET shows it that only the
// server writes: its counters, balance, lock, resets, the currency and
// initial value of its campaign, its printed logo and PDF.
var voucherReadOnly = readOnly("userGroup", "currency", "initialValue", "redemptionCount",
	"totalRedemptionCount", "lastRedemptionAt", "lastRedemptionLocation", "lastResetAt", "lockOwner",
	"lockedTill", "amountRedeemed", "totalAmountRedeemed", "balance", "periodStart", "logoImg", "pdfStatus",
	"pdfUrl")

// ReadOnlyFields returns the fields a voucher body may carry but not set.
func (in *VoucherInput) ReadOnlyFields() []string { return voucherInputReadOnly }

// voucherInputReadOnly adds inherited: a new voucher inherits what it does
// not set.
var voucherInputReadOnly = append(append([]string{}, voucherReadOnly...), "inherited")

// ReadOnlyFields returns the fields a voucher update may carry but not set.
func (p *VoucherPatch) ReadOnlyFields() []string { return voucherReadOnly }

// KeepInherited drops from p the settings that p.Inherited names, that
// shown (the voucher before the update) inherits, and whose value in p is
// the one shown: a client that sends back the object GET returned leaves
// inherited settings inherited instead of copying the campaign's values.
func (p *VoucherPatch) KeepInherited(shown *VoucherView) {
	for _, f := range p.Inherited {
		if !slices.Contains(shown.Inherited, f) {
			continue
		}
		switch f {
		case "value":
			p.Value = dropSame(p.Value, shown.Value)
		case "valueType":
			p.ValueType = dropSame(p.ValueType, shown.ValueType)
		case "redemptionLimit":
			p.RedemptionLimit = dropSame(p.RedemptionLimit, shown.RedemptionLimit)
		case "resetFrequency":
			p.ResetFrequency = dropSame(p.ResetFrequency, shown.ResetFrequency)
		case "timeZone":
			p.TimeZone = dropSame(p.TimeZone, shown.TimeZone)
		case "expiresOn":
			p.ExpiresOn = dropSameDate(p.ExpiresOn, shown.ExpiresOn)
		case "validFrom":
			p.ValidFrom = dropSameDate(p.ValidFrom, shown.ValidFrom)
		case "validationRules":
			if p.ValidationRules != nil && slices.Equal(*p.ValidationRules, shown.ValidationRules) {
				p.ValidationRules = nil
			}
		}
	}
}

// dropSame returns nil when sent equals shown, else sent.
func dropSame[T comparable](sent *T, shown T) *T {
	if sent != nil && *sent == shown {
		return nil
	}
	return sent
}

// dropSameDate is dropSame for an optional date.
func dropSameDate(sent, shown *string) *string {
	if sent != nil && shown != nil && *sent == *shown {
		return nil
	}
	if sent != nil && shown == nil && *sent == "" {
		return nil
	}
	return sent
}

// VoucherEcho are the fields of a voucher as GET shows it that an update
// may send back: Inherited keeps inherited settings inherited
// (KeepInherited); code and prefix cannot change and are checked by Apply.
type VoucherEcho struct {
	Inherited []string `json:"inherited"`
	Code      *string  `json:"code"`
	Prefix    *string  `json:"prefix"`
}

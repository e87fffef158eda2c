package vouchers

import (
	"sync"
	"time"

	"github.com/vendrule/vendrule/models"
)

// Settings are the settings in force for a voucher.
type Settings struct {
	Type            string
	Value           int64
	ValueType       string
	ValueExpr       string
	RedemptionLimit int64
	ResetFrequency  string
	ExpiresOn       *string
	ValidFrom       *string
	TimeZone        string
	Location        *time.Location
	Currency        string
	ValidationRules models.ValidationRules
	// RedemptionRules are the campaign's followed by the voucher's own: a
	// voucher can add rules but not drop its campaign's.
	RedemptionRules models.RedemptionRules
	Inherited       []string
}

// Effective resolves a voucher's settings: its own where set, its
// campaign's otherwise. It is the one place inheritance is decided.
func Effective(c *models.Campaign, v *models.Voucher) Settings {
	s := Settings{Type: c.Type, ValueExpr: c.ValueExpr, Currency: c.Currency}
	s.Value = pick(v.Value, c.VoucherValue, "value", &s.Inherited)
	s.ValueType = pick(v.ValueType, c.ValueType, "valueType", &s.Inherited)
	s.RedemptionLimit = pick(v.RedemptionLimit, c.RedemptionLimit, "redemptionLimit", &s.Inherited)
	s.ResetFrequency = pick(v.ResetFrequency, c.ResetFrequency, "resetFrequency", &s.Inherited)
	s.TimeZone = pick(v.TimeZone, c.TimeZone, "timeZone", &s.Inherited)
	s.ExpiresOn = v.ExpiresOn
	if v.ExpiresOn == nil {
		s.ExpiresOn = c.ExpiresOn
		s.Inherited = append(s.Inherited, "expiresOn")
	}
	s.ValidFrom = v.ValidFrom
	if v.ValidFrom == nil {
		s.ValidFrom = c.ValidFrom
		s.Inherited = append(s.Inherited, "validFrom")
	}
	s.ValidationRules = v.ValidationRules
	if v.ValidationRules == nil {
		s.ValidationRules = c.ValidationRules
		s.Inherited = append(s.Inherited, "validationRules")
	}
	s.RedemptionRules = append(append(models.RedemptionRules{}, c.RedemptionRules...), v.RedemptionRules...)
	s.Location = loadZone(s.TimeZone)
	return s
}

func pick[T any](own *T, campaign T, name string, inherited *[]string) T {
	if own != nil {
		return *own
	}
	*inherited = append(*inherited, name)
	return campaign
}

// zones caches loaded time zones by name: time.LoadLocation reads and
// parses the zoneinfo file on every call.
var zones sync.Map // string → *time.Location

// loadZone returns the zone named tz, or Europe/Amsterdam (then UTC) for a
// zone that no longer loads.
func loadZone(tz string) *time.Location {
	if loc, ok := zones.Load(tz); ok {
		return loc.(*time.Location)
	}
	for _, name := range []string{tz, "Europe/Amsterdam"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones.Store(tz, loc)
			return loc
		}
	}
	return time.UTC
}

// Balance returns what a gift voucher has left in its current period.
func Balance(s Settings, c Counters) int64 {
	if s.Type != models.CampaignGift {
		return 0
	}
	return max(0, s.Value-c.AmountRedeemed)
}

// View returns the voucher as the API shows it, with the settings in force
// and the counters as they stand at now.
func View(c *models.Campaign, v *models.Voucher, now time.Time) models.VoucherView {
	s := Effective(c, v)
	cnt := CurrentCounters(v, s.ResetFrequency, s.Location, now)
	return models.VoucherView{
		ID: v.ID, UserGroup: v.UserGroup, Code: v.Code, Campaign: v.Campaign, Type: v.Type,
		Value: s.Value, ValueType: s.ValueType, Currency: s.Currency, InitialValue: s.Value,
		RedemptionLimit: s.RedemptionLimit, RedemptionCount: cnt.RedemptionCount,
		TotalRedemptionCount: v.TotalRedemptionCount, LastRedemptionAt: v.LastRedemptionAt,
		LastRedemptionLocation: v.LastRedemptionLocation, Prefix: v.Prefix, ResetFrequency: s.ResetFrequency,
		LastResetAt: v.LastResetAt, ExpiresOn: s.ExpiresOn, ValidFrom: s.ValidFrom, TimeZone: s.TimeZone, LockOwner: v.LockOwner,
		LockedTill: v.LockedTill, Status: v.Status, AmountRedeemed: cnt.AmountRedeemed,
		TotalAmountRedeemed: v.TotalAmountRedeemed, Balance: Balance(s, cnt),
		ValidationRules: nonNil(s.ValidationRules), RedemptionRules: v.RedemptionRules, Inherited: s.Inherited,
		Text1: v.Text1, Text2: v.Text2, Text3: v.Text3, Text4: v.Text4, Style: v.Style,
		VoucherComments: v.VoucherComments, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		LogoImg: models.ImagePath(c.VoucherLogoImg), PdfStatus: v.PdfStatus, PdfURL: v.PdfURL,
	}
}

func nonNil(r models.ValidationRules) models.ValidationRules {
	if r == nil {
		return models.ValidationRules{}
	}
	return r
}

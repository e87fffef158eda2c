package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Campaign types, value types, reset frequencies and statuses.
const (
	CampaignDiscount = "discount"
	CampaignGift     = "gift"
	CampaignDynamic  = "dynamic"

	ValueCents   = "cents"
	ValuePercent = "percent"

	ResetNever = "never"
	ResetDay   = "day"
	ResetWeek  = "week"
	ResetMonth = "month"

	StatusCreating = "creating"
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusFailed   = "failed"
)

// Voucher limits.
const (
	MaxTotalVouchers = 100_000 // per campaign generation
	MaxVoucherCount  = 5000    // per POST /vouchers
	MaxLockSeconds   = 600
	// MaxAmount bounds every amount in cents: voucher values, order
	// amounts, item prices, order totals and demands (100 million in
	// currency units). With MaxQuantity and MaxOrderItems it keeps every
	// sum and product of an order far inside int64.
	MaxAmount     = 10_000_000_000
	MaxQuantity   = 10_000 // per order item
	MaxOrderItems = 1000   // per order
)

// ValidationRule limits where a voucher may be used ({field, value}).
type ValidationRule struct {
	ID       int64  `json:"id,omitempty"`
	Campaign int64  `json:"campaign,omitempty"`
	Field    string `json:"field"`
	Value    string `json:"value"`
}

// ValidationFields are the fields a validation rule may name.
var ValidationFields = []string{"location", "locationExternalRef", "locationGroup", "machine", "machineGroup", "product"}

// ValidationRules is a list of validation rules stored as jsonb. A nil list
// is stored as NULL, which on a voucher means "inherit the campaign's".
type ValidationRules []ValidationRule

// Value encodes the rules as JSON; nil is NULL.
func (r ValidationRules) Value() (driver.Value, error) { return vJsonValue(r, r == nil) }

// Scan decodes JSON; NULL gives nil.
func (r *ValidationRules) Scan(src any) error { return vJsonScan(src, r) }

// GormDataType tells gorm the column type.
func (ValidationRules) GormDataType() string { return "jsonb" }

// Validate checks the field names and values.
func (r ValidationRules) Validate() error {
	for i, rule := range r {
		if !slices.Contains(ValidationFields, rule.Field) {
			return FieldError(fmt.Sprintf("validationRules[%d].field", i), "must be one of %v", ValidationFields)
		}
		if rule.Value == "" {
			return FieldError(fmt.Sprintf("validationRules[%d].value", i), "is required")
		}
	}
	return nil
}

// RedemptionRule is a named boolean expression that must hold for a
// redemption; Message tells the device why it failed.
type RedemptionRule struct {
	Name    string `json:"name"`
	Expr    string `json:"expr"`
	Message string `json:"message"`
}

// RedemptionRules is a list of redemption rules stored as jsonb; nil is NULL.
type RedemptionRules []RedemptionRule

// Value encodes the rules as JSON; nil is NULL.
func (r RedemptionRules) Value() (driver.Value, error) { return vJsonValue(r, r == nil) }

// Scan decodes JSON; NULL gives nil.
func (r *RedemptionRules) Scan(src any) error { return vJsonScan(src, r) }

// GormDataType tells gorm the column type.
func (RedemptionRules) GormDataType() string { return "jsonb" }

// Validate checks that every rule has a name and an expression (whether the
// expression compiles is checked by the rules package).
func (r RedemptionRules) Validate() error {
	for i, rule := range r {
		if rule.Name == "" {
			return FieldError(fmt.Sprintf("redemptionRules[%d].name", i), "is required")
		}
		if rule.Expr == "" {
			return FieldError(fmt.Sprintf("redemptionRules[%d].expr", i), "is required")
		}
	}
	return nil
}

func vJsonValue(v any, isNil bool) (driver.Value, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode json column: %w", err)
	}
	return string(b), nil
}

func vJsonScan(src any, dst any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), dst)
	case []byte:
		return json.Unmarshal(v, dst)
	}
	return fmt.Errorf("json column: cannot scan %T", src)
}

// Campaign is a set of vouchers sharing settings. Vouchers inherit the
// campaign's value, limits, reset, expiry, time zone and rules unless they
// set their own. VoucherLogoImg is the image printed on its vouchers;
// VouchersPdfStatus and VouchersPdfURL describe the printable sheet of all
// its vouchers and are written by the printing engine only (read-only here).
type Campaign struct {
	ID                int64           `json:"id" gorm:"primaryKey"`
	UserGroup         int64           `json:"userGroup"`
	Tenant            int64           `json:"-"`
	OwnerID           *int64          `json:"ownerId"`
	OwnerData         string          `json:"ownerData"`
	Name              string          `json:"name"`
	TotalVouchers     int             `json:"totalVouchers"`
	GeneratedVouchers int             `json:"generatedVouchers"`
	Type              string          `json:"type"`
	ValueType         string          `json:"valueType"`
	VoucherValue      int64           `json:"voucherValue"`
	ValueExpr         string          `json:"valueExpr"`
	RedemptionLimit   int64           `json:"redemptionLimit"`
	ResetFrequency    string          `json:"resetFrequency"`
	ExpiresOn         *string         `json:"expiresOn"`
	ValidFrom         *string         `json:"validFrom"`
	Currency          string          `json:"currency"`
	TimeZone          string          `json:"timeZone"`
	Status            string          `json:"status"`
	GenerationError   string          `json:"generationError"`
	Prefix            string          `json:"prefix"`
	Suffix            string          `json:"suffix"`
	CodeLength        int             `json:"codeLength"`
	CodeAlphabet      string          `json:"codeAlphabet"`
	VoucherText1      string          `json:"voucherText1"`
	VoucherText2      string          `json:"voucherText2"`
	VoucherText3      string          `json:"voucherText3"`
	VoucherText4      string          `json:"voucherText4"`
	VoucherStyle      string          `json:"voucherStyle"`
	VoucherLogoImg    *int64          `json:"voucherLogoImg"`
	VouchersPdfStatus string          `json:"vouchersPdfStatus" gorm:"->"`
	VouchersPdfURL    string          `json:"vouchersPdfUrl" gorm:"->"`
	ValidationRules   ValidationRules `json:"validationRules" gorm:"type:jsonb"`
	RedemptionRules   RedemptionRules `json:"redemptionRules" gorm:"type:jsonb"`
	LastResetAt       *time.Time      `json:"lastResetAt"`
	CreatedAt         time.Time       `json:"createdAt" gorm:"autoCreateTime"`
	UpdatedAt         time.Time       `json:"updatedAt" gorm:"autoUpdateTime"`
}

// SetDefaults gives a new campaign the seed's defaults.
func (c *Campaign) SetDefaults() {
	c.Type, c.ValueType, c.ResetFrequency = CampaignDiscount, ValueCents, ResetNever
	c.Currency, c.TimeZone, c.Status = "EUR", "Europe/Amsterdam", StatusActive
	c.CodeLength, c.CodeAlphabet = DefaultCodeLength, DefaultCodeAlphabet
}

var vPrefixPattern = regexp.MustCompile(`^[a-zA-Z0-9]{1,5}$`)

// Validate checks the campaign and fills in nil rule lists.
func (c *Campaign) Validate() error {
	if c.ValidationRules == nil {
		c.ValidationRules = ValidationRules{}
	}
	if c.RedemptionRules == nil {
		c.RedemptionRules = RedemptionRules{}
	}
	c.CodeLength, c.CodeAlphabet = c.CodePattern().Length(), c.CodePattern().alphabetName() // unset: the default
	return firstError(
		required("name", c.Name),
		voucherOneOf("type", c.Type, CampaignDiscount, CampaignGift, CampaignDynamic),
		voucherOneOf("status", c.Status, StatusCreating, StatusActive, StatusInactive, StatusFailed),
		c.vValidateValue(),
		vValidateCommon(c.ValueType, c.ResetFrequency, c.TimeZone, c.ExpiresOn, c.RedemptionLimit),
		NormalizeDate("expiresOn", c.ExpiresOn, c.TimeZone),
		NormalizeDate("validFrom", c.ValidFrom, c.TimeZone),
		ValidityOrder(c.ValidFrom, c.ExpiresOn),
		c.validatePrefix(),
		c.CodePattern().Validate(),
		vValidateCurrency(c.Currency),
		c.ValidationRules.Validate(),
		c.RedemptionRules.Validate(),
	)
}

func (c *Campaign) vValidateValue() error {
	if c.TotalVouchers < 0 || c.TotalVouchers > MaxTotalVouchers {
		return FieldError("totalVouchers", "must be from 0 to %d", MaxTotalVouchers)
	}
	if c.Type == CampaignDynamic {
		return required("valueExpr", c.ValueExpr)
	}
	if c.ValueExpr != "" {
		return FieldError("valueExpr", "is only for dynamic campaigns")
	}
	if c.VoucherValue == 0 && c.TotalVouchers > 0 {
		return FieldError("voucherValue", "must be above 0: the generated vouchers would pay nothing")
	}
	return vValidateValue("voucherValue", c.VoucherValue, c.ValueType)
}

// CodePattern returns how c's random codes look.
func (c *Campaign) CodePattern() CodePattern {
	return CodePattern{Prefix: c.Prefix, Suffix: c.Suffix, CodeLength: c.CodeLength, CodeAlphabet: c.CodeAlphabet,
		TotalVouchers: c.TotalVouchers}
}

func (c *Campaign) validatePrefix() error {
	if c.Prefix != "" && !vPrefixPattern.MatchString(c.Prefix) {
		return FieldError("prefix", "must be 1 to 5 letters or digits")
	}
	return nil
}

// vValidateValue checks a value against its value type.
func vValidateValue(field string, v int64, valueType string) error {
	if valueType == ValuePercent && (v < 1 || v > 100) {
		return FieldError(field, "must be a whole percent from 1 to 100")
	}
	return vNonNegative(field, v)
}

// vValidateCommon checks the settings campaigns and vouchers share.
func vValidateCommon(valueType, reset, tz string, expiresOn *string, limit int64) error {
	return firstError(
		voucherOneOf("valueType", valueType, ValueCents, ValuePercent),
		voucherOneOf("resetFrequency", reset, ResetNever, ResetDay, ResetWeek, ResetMonth),
		vValidateZone(tz),
		vValidateDate("expiresOn", expiresOn),
		vNonNegative("redemptionLimit", limit),
	)
}

func vValidateCurrency(c string) error {
	if !currencyCode.MatchString(c) {
		return FieldError("currency", "must be an ISO 4217 code such as EUR")
	}
	return nil
}

func vValidateZone(tz string) error {
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		return FieldError("timeZone", "unknown time zone %q", tz)
	}
	return nil
}

// vValidateDate checks that d is a date or an RFC 3339 time, leaving it as
// it is: the zone that turns a time into a date may not be known yet.
func vValidateDate(field string, d *string) error {
	if d == nil {
		return nil
	}
	date := *d
	return NormalizeDate(field, &date, "UTC")
}

// vNonNegative checks that a value or a limit is from 0 to MaxAmount.
func vNonNegative(field string, v int64) error {
	if v < 0 {
		return FieldError(field, "must not be negative")
	}
	if v > MaxAmount {
		return FieldError(field, "must be at most %d", MaxAmount)
	}
	return nil
}

func voucherOneOf(field, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return FieldError(field, "must be one of %v", allowed)
	}
	return nil
}

// CampaignPatch is a partial update of a campaign; nil fields stay as they
// are. Type, prefix and totalVouchers cannot change. VoucherLogoImg 0
// removes the logo.
type CampaignPatch struct {
	CampaignFixed
	Name            *string          `json:"name"`
	VoucherValue    *int64           `json:"voucherValue"`
	ValueType       *string          `json:"valueType"`
	ValueExpr       *string          `json:"valueExpr"`
	RedemptionLimit *int64           `json:"redemptionLimit"`
	ResetFrequency  *string          `json:"resetFrequency"`
	ExpiresOn       *string          `json:"expiresOn"`
	ValidFrom       *string          `json:"validFrom"`
	Currency        *string          `json:"currency"`
	TimeZone        *string          `json:"timeZone"`
	Status          *string          `json:"status"`
	OwnerData       *string          `json:"ownerData"`
	VoucherText1    *string          `json:"voucherText1"`
	VoucherText2    *string          `json:"voucherText2"`
	VoucherText3    *string          `json:"voucherText3"`
	VoucherText4    *string          `json:"voucherText4"`
	VoucherStyle    *string          `json:"voucherStyle"`
	VoucherLogoImg  *int64           `json:"voucherLogoImg"`
	ValidationRules *ValidationRules `json:"validationRules"`
	RedemptionRules *RedemptionRules `json:"redemptionRules"`
}

// Apply writes the set fields of p over c. A status other than active or
// inactive is EINVALID.
func (p *CampaignPatch) Apply(c *Campaign) error {
	if err := p.CampaignFixed.check(c); err != nil {
		return err
	}
	if p.Status != nil && *p.Status == c.Status {
		p.Status = nil // sending back GET's status changes nothing
	}
	if p.Status != nil {
		if err := voucherOneOf("status", *p.Status, StatusActive, StatusInactive); err != nil {
			return err
		}
	}
	setField(&c.Name, p.Name)
	setField(&c.VoucherValue, p.VoucherValue)
	setField(&c.ValueType, p.ValueType)
	setField(&c.ValueExpr, p.ValueExpr)
	setField(&c.RedemptionLimit, p.RedemptionLimit)
	setField(&c.ResetFrequency, p.ResetFrequency)
	setField(&c.Currency, p.Currency)
	setField(&c.TimeZone, p.TimeZone)
	setField(&c.Status, p.Status)
	setField(&c.OwnerData, p.OwnerData)
	setField(&c.VoucherText1, p.VoucherText1)
	setField(&c.VoucherText2, p.VoucherText2)
	setField(&c.VoucherText3, p.VoucherText3)
	setField(&c.VoucherText4, p.VoucherText4)
	setField(&c.VoucherStyle, p.VoucherStyle)
	if p.VoucherLogoImg != nil {
		c.VoucherLogoImg = vZeroNil(*p.VoucherLogoImg)
	}
	setField(&c.ValidationRules, p.ValidationRules)
	setField(&c.RedemptionRules, p.RedemptionRules)
	if p.ExpiresOn != nil {
		c.ExpiresOn = vEmptyNil(*p.ExpiresOn)
	}
	if p.ValidFrom != nil {
		c.ValidFrom = vEmptyNil(*p.ValidFrom)
	}
	return nil
}

func setField[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// LogoRefs returns the campaign's logo image, which must be the tenant's.
func (c *Campaign) LogoRefs() []Ref {
	if c.VoucherLogoImg == nil {
		return nil
	}
	return []Ref{{Field: "voucherLogoImg", Table: "images", IDs: []int64{*c.VoucherLogoImg}}}
}

// ImagePath is where image id is downloaded; "" for none.
func ImagePath(id *int64) string {
	if id == nil {
		return ""
	}
	return "/api/v1/images/" + strconv.FormatInt(*id, 10)
}

// vZeroNil returns nil for 0, the API's way to say "no image".
func vZeroNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// ValidityOrder refuses a validFrom after expiresOn: such a voucher could
// never be used. Both are dates (NormalizeDate) when set, so they compare
// as text.
func ValidityOrder(validFrom, expiresOn *string) error {
	if validFrom != nil && expiresOn != nil && *validFrom != "" && *expiresOn != "" && *validFrom > *expiresOn {
		return FieldError("validFrom", "must not be after expiresOn")
	}
	return nil
}

func vEmptyNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

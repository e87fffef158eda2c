package models

import (
	"regexp"
	"slices"
	"time"
)

var vCustomCode = regexp.MustCompile(`^[a-zA-Z0-9_-]{3,64}$`)

// Voucher is a stored voucher. Its pointer settings (and a non-nil
// ValidationRules) are its own; nil ones inherit the campaign's, so that a
// change to the campaign reaches every inheriting voucher. PdfStatus and
// PdfURL describe its printable PDF and are written by the printing engine
// only (read-only here).
type Voucher struct {
	ID                     string          `json:"id" gorm:"primaryKey"`
	UserGroup              int64           `json:"userGroup"`
	Tenant                 int64           `json:"-"`
	Code                   string          `json:"code"`
	Campaign               int64           `json:"campaign"`
	Type                   string          `json:"type"`
	Prefix                 string          `json:"prefix"`
	Value                  *int64          `json:"value"`
	ValueType              *string         `json:"valueType"`
	RedemptionLimit        *int64          `json:"redemptionLimit"`
	ResetFrequency         *string         `json:"resetFrequency"`
	ExpiresOn              *string         `json:"expiresOn"`
	ValidFrom              *string         `json:"validFrom"`
	TimeZone               *string         `json:"timeZone"`
	ValidationRules        ValidationRules `json:"validationRules" gorm:"type:jsonb"`
	RedemptionRules        RedemptionRules `json:"redemptionRules" gorm:"type:jsonb"`
	RedemptionCount        int64           `json:"redemptionCount"`
	TotalRedemptionCount   int64           `json:"totalRedemptionCount"`
	AmountRedeemed         int64           `json:"amountRedeemed"`
	TotalAmountRedeemed    int64           `json:"totalAmountRedeemed"`
	PeriodStart            *time.Time      `json:"periodStart"`
	LastResetAt            *time.Time      `json:"lastResetAt"`
	LastRedemptionAt       *time.Time      `json:"lastRedemptionAt"`
	LastRedemptionLocation string          `json:"lastRedemptionLocation"`
	LockOwner              *string         `json:"lockOwner"`
	LockedTill             *time.Time      `json:"lockedTill"`
	Status                 string          `json:"status"`
	Text1                  string          `json:"text1"`
	Text2                  string          `json:"text2"`
	Text3                  string          `json:"text3"`
	Text4                  string          `json:"text4"`
	Style                  string          `json:"style"`
	VoucherComments        string          `json:"voucherComments"`
	PdfStatus              string          `json:"pdfStatus" gorm:"->"`
	PdfURL                 string          `json:"pdfUrl" gorm:"->"`
	CreatedAt              time.Time       `json:"createdAt"`
	UpdatedAt              time.Time       `json:"updatedAt"`
}

// VoucherView is a voucher as the API shows it: the settings in force
// (its own or its campaign's), the gift balance, and which settings are
// inherited.
type VoucherView struct {
	ID                     string          `json:"id"`
	UserGroup              int64           `json:"userGroup"`
	Code                   string          `json:"code"`
	Campaign               int64           `json:"campaign"`
	Type                   string          `json:"type"`
	Value                  int64           `json:"value"`
	ValueType              string          `json:"valueType"`
	Currency               string          `json:"currency"`
	InitialValue           int64           `json:"initialValue"`
	RedemptionLimit        int64           `json:"redemptionLimit"`
	RedemptionCount        int64           `json:"redemptionCount"`
	TotalRedemptionCount   int64           `json:"totalRedemptionCount"`
	LastRedemptionAt       *time.Time      `json:"lastRedemptionAt"`
	LastRedemptionLocation string          `json:"lastRedemptionLocation"`
	Prefix                 string          `json:"prefix"`
	ResetFrequency         string          `json:"resetFrequency"`
	LastResetAt            *time.Time      `json:"lastResetAt"`
	ExpiresOn              *string         `json:"expiresOn"`
	ValidFrom              *string         `json:"validFrom"`
	TimeZone               string          `json:"timeZone"`
	LockOwner              *string         `json:"lockOwner"`
	LockedTill             *time.Time      `json:"lockedTill"`
	Status                 string          `json:"status"`
	AmountRedeemed         int64           `json:"amountRedeemed"`
	TotalAmountRedeemed    int64           `json:"totalAmountRedeemed"`
	Balance                int64           `json:"balance"`
	ValidationRules        ValidationRules `json:"validationRules"`
	RedemptionRules        RedemptionRules `json:"redemptionRules"`
	Inherited              []string        `json:"inherited"`
	Text1                  string          `json:"text1"`
	Text2                  string          `json:"text2"`
	Text3                  string          `json:"text3"`
	Text4                  string          `json:"text4"`
	Style                  string          `json:"style"`
	VoucherComments        string          `json:"voucherComments"`
	LogoImg                string          `json:"logoImg"` // path of the campaign's printed logo, "" for none
	PdfStatus              string          `json:"pdfStatus"`
	PdfURL                 string          `json:"pdfUrl"`
	CreatedAt              time.Time       `json:"createdAt"`
	UpdatedAt              time.Time       `json:"updatedAt"`
}

// VoucherInput creates vouchers (POST /vouchers). Settings left nil are
// inherited from the campaign.
type VoucherInput struct {
	Campaign        int64           `json:"campaign"`
	Type            string          `json:"type"`
	Code            string          `json:"code"`
	Prefix          *string         `json:"prefix"`
	Count           int             `json:"count"`
	Status          string          `json:"status"`
	Value           *int64          `json:"value"`
	ValueType       *string         `json:"valueType"`
	RedemptionLimit *int64          `json:"redemptionLimit"`
	ResetFrequency  *string         `json:"resetFrequency"`
	ExpiresOn       *string         `json:"expiresOn"`
	ValidFrom       *string         `json:"validFrom"`
	TimeZone        *string         `json:"timeZone"`
	ValidationRules ValidationRules `json:"validationRules"`
	RedemptionRules RedemptionRules `json:"redemptionRules"`
	Text1           string          `json:"text1"`
	Text2           string          `json:"text2"`
	Text3           string          `json:"text3"`
	Text4           string          `json:"text4"`
	Style           string          `json:"style"`
	VoucherComments string          `json:"voucherComments"`
}

// Validate checks the input; the campaign's type is checked by the engine.
func (in *VoucherInput) Validate() error {
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Status == "" {
		in.Status = StatusActive
	}
	if in.Count < 1 || in.Count > MaxVoucherCount {
		return FieldError("count", "must be from 1 to %d", MaxVoucherCount)
	}
	if in.Code != "" && in.Count != 1 {
		return FieldError("code", "a custom code makes one voucher; leave count at 1")
	}
	if in.Code != "" && !vCustomCode.MatchString(in.Code) {
		return FieldError("code", "must be 3 to 64 letters, digits, '-' or '_'")
	}
	if in.Prefix != nil && *in.Prefix != "" && !vPrefixPattern.MatchString(*in.Prefix) {
		return FieldError("prefix", "must be 1 to 5 letters or digits")
	}
	return firstError(requiredID("campaign", in.Campaign),
		voucherOneOf("status", in.Status, StatusActive, StatusInactive),
		vValidateOverrides(in.Value, in.ValueType, in.RedemptionLimit, in.ResetFrequency, in.ExpiresOn, in.TimeZone),
		vValidateDate("validFrom", in.ValidFrom), in.ValidationRules.Validate(), in.RedemptionRules.Validate())
}

// vValidateOverrides checks the override settings that are set.
func vValidateOverrides(value *int64, valueType *string, limit *int64, reset, expires, tz *string) error {
	return firstError(
		vOptional(valueType, func(v string) error { return voucherOneOf("valueType", v, ValueCents, ValuePercent) }),
		vOptional(reset, func(v string) error {
			return voucherOneOf("resetFrequency", v, ResetNever, ResetDay, ResetWeek, ResetMonth)
		}),
		vOptional(tz, vValidateZone),
		vValidateDate("expiresOn", expires),
		vOptional(limit, func(v int64) error { return vNonNegative("redemptionLimit", v) }),
		vOptional(value, func(v int64) error { return vNonNegative("value", v) }),
	)
}

func vOptional[T any](p *T, check func(T) error) error {
	if p == nil {
		return nil
	}
	return check(*p)
}

// VoucherPatch is a partial update of a voucher (PUT /vouchers/{id}). Inherit
// names settings that go back to the campaign's.
type VoucherPatch struct {
	Campaign        *int64           `json:"campaign"`
	Type            *string          `json:"type"`
	Status          *string          `json:"status"`
	Value           *int64           `json:"value"`
	ValueType       *string          `json:"valueType"`
	RedemptionLimit *int64           `json:"redemptionLimit"`
	ResetFrequency  *string          `json:"resetFrequency"`
	ExpiresOn       *string          `json:"expiresOn"`
	ValidFrom       *string          `json:"validFrom"`
	TimeZone        *string          `json:"timeZone"`
	ValidationRules *ValidationRules `json:"validationRules"`
	RedemptionRules *RedemptionRules `json:"redemptionRules"`
	Inherit         []string         `json:"inherit"`
	Text1           *string          `json:"text1"`
	Text2           *string          `json:"text2"`
	Text3           *string          `json:"text3"`
	Text4           *string          `json:"text4"`
	Style           *string          `json:"style"`
	VoucherComments *string          `json:"voucherComments"`
	VoucherEcho
}

// InheritableFields are the voucher settings that may come from the campaign.
var InheritableFields = []string{"value", "valueType", "redemptionLimit", "resetFrequency", "expiresOn",
	"validFrom", "timeZone", "validationRules"}

// Apply writes the patch over v. The campaign and type cannot change.
func (p *VoucherPatch) Apply(v *Voucher) error {
	if p.Campaign != nil && *p.Campaign != v.Campaign {
		return FieldError("campaign", "a voucher cannot move to another campaign")
	}
	if p.Type != nil && *p.Type != v.Type {
		return FieldError("type", "is the campaign's type and cannot change")
	}
	if err := firstError(unchanged("code", p.Code, v.Code), unchanged("prefix", p.Prefix, v.Prefix)); err != nil {
		return err
	}
	if err := firstError(vOptional(p.Status, func(s string) error {
		return voucherOneOf("status", s, StatusActive, StatusInactive)
	}), vValidateOverrides(p.Value, p.ValueType, p.RedemptionLimit, p.ResetFrequency, p.ExpiresOn, p.TimeZone),
		vValidateDate("validFrom", p.ValidFrom)); err != nil {
		return err
	}
	setField(&v.Status, p.Status)
	vSetPtr(&v.Value, p.Value)
	vSetPtr(&v.ValueType, p.ValueType)
	vSetPtr(&v.RedemptionLimit, p.RedemptionLimit)
	vSetPtr(&v.ResetFrequency, p.ResetFrequency)
	vSetPtr(&v.ExpiresOn, p.ExpiresOn)
	vSetPtr(&v.ValidFrom, p.ValidFrom)
	vSetPtr(&v.TimeZone, p.TimeZone)
	setField(&v.ValidationRules, p.ValidationRules)
	setField(&v.RedemptionRules, p.RedemptionRules)
	setField(&v.Text1, p.Text1)
	setField(&v.Text2, p.Text2)
	setField(&v.Text3, p.Text3)
	setField(&v.Text4, p.Text4)
	setField(&v.Style, p.Style)
	setField(&v.VoucherComments, p.VoucherComments)
	return p.applyInherit(v)
}

func vSetPtr[T any](dst **T, src *T) {
	if src != nil {
		c := *src
		*dst = &c
	}
}

func (p *VoucherPatch) applyInherit(v *Voucher) error {
	for _, f := range p.Inherit {
		if !slices.Contains(InheritableFields, f) {
			return FieldError("inherit", "%q cannot be inherited; allowed: %v", f, InheritableFields)
		}
		switch f {
		case "value":
			v.Value = nil
		case "valueType":
			v.ValueType = nil
		case "redemptionLimit":
			v.RedemptionLimit = nil
		case "resetFrequency":
			v.ResetFrequency = nil
		case "expiresOn":
			v.ExpiresOn = nil
		case "validFrom":
			v.ValidFrom = nil
		case "timeZone":
			v.TimeZone = nil
		case "validationRules":
			v.ValidationRules = nil
		}
	}
	if v.ValidationRules != nil {
		return v.ValidationRules.Validate()
	}
	return v.RedemptionRules.Validate()
}

// VoucherLog records one validate, redeem, rollback or unlock of a voucher.
type VoucherLog struct {
	ID                int64     `json:"id" gorm:"primaryKey"`
	UserGroup         int64     `json:"userGroup"`
	Voucher           string    `json:"voucher"`
	Requester         string    `json:"requester"`
	RequesterLocation string    `json:"requesterLocation"`
	Action            string    `json:"action"`
	Success           int       `json:"success"`
	Request           string    `json:"request"`
	Response          string    `json:"response"`
	Currency          string    `json:"currency"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// Redemption is one successful redeem; RolledBackAt is set once when it is
// undone.
type Redemption struct {
	ID           int64      `json:"id" gorm:"primaryKey"`
	UserGroup    int64      `json:"userGroup"`
	Voucher      string     `json:"voucher"`
	Campaign     int64      `json:"campaign"`
	DeviceID     string     `json:"deviceId"`
	OrderID      string     `json:"orderId"`
	Machine      *int64     `json:"machine"`
	Location     *int64     `json:"location"`
	Amount       int64      `json:"amount"`
	PeriodStart  *time.Time `json:"periodStart"`
	Response     string     `json:"-"`
	RolledBackAt *time.Time `json:"rolledBackAt"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

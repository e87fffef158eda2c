package vouchers

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// ValidateRequest is the body of POST /voucher/{code}/validate. Order is
// our extension: with it, percent and dynamic amounts and product rules are
// computed as a redeem would.
type ValidateRequest struct {
	DeviceID     string  `json:"deviceId"`
	LockDuration float64 `json:"lockDuration"`
	Demand       *Demand `json:"demand"`
	Order        *Order  `json:"order"`
	// Body is the request as the device sent it (valid JSON), which the
	// log keeps; empty: the request is marshalled again for the log.
	Body []byte `json:"-"`
}

// RedeemRequest is the body of POST /voucher/{code}/redeem.
type RedeemRequest struct {
	DeviceID string  `json:"deviceId"`
	Order    *Order  `json:"order"`
	Demand   *Demand `json:"demand"`
	Body     []byte  `json:"-"` // as ValidateRequest.Body
}

// Discount is what a voucher takes off.
type Discount struct {
	Type       string `json:"type"`
	AmountOff  int64  `json:"amountOff"`
	PercentOff int64  `json:"percentOff,omitempty"`
}

// ValidFor lists the products a voucher may pay for (PLU → true); empty
// means all.
type ValidFor struct {
	Products       map[string]bool `json:"products"`
	ProductsRegExp string          `json:"productsRegExp"`
}

// ValidateResponse is the answer to a validate.
type ValidateResponse struct {
	Code         string     `json:"code"`
	CampaignType string     `json:"campaignType"`
	VoucherID    string     `json:"voucherId"`
	Valid        bool       `json:"valid"`
	Reason       string     `json:"reason,omitempty"`
	Message      string     `json:"message,omitempty"`
	VoucherValue int64      `json:"voucherValue"`
	Balance      *int64     `json:"balance,omitempty"`
	Discount     Discount   `json:"discount"`
	ValidFor     ValidFor   `json:"validFor"`
	LockedTill   *time.Time `json:"lockedTill,omitempty"`
	body         []byte     // the answer's JSON, as logged
}

// JSON returns the answer as JSON, the bytes its log row holds.
func (r *ValidateResponse) JSON() []byte {
	if r.body != nil {
		return r.body
	}
	return mustJSON(r)
}

// requestJSON is the JSON of a request for its log: the body as sent when
// there is one, else req marshalled.
func requestJSON(body []byte, req any) string {
	if len(body) > 0 {
		return string(body)
	}
	return string(mustJSON(req))
}

// RedeemResponse is the answer to a redeem.
type RedeemResponse struct {
	Code         string   `json:"code"`
	CampaignType string   `json:"campaignType"`
	VoucherID    string   `json:"voucherId"`
	Redeemed     bool     `json:"redeemed"`
	Reason       string   `json:"reason,omitempty"`
	Message      string   `json:"message,omitempty"`
	Discount     Discount `json:"discount"`
	VoucherValue int64    `json:"voucherValue"`
}

func discount(dec *decision) Discount {
	d := Discount{Type: models.ValueCents, AmountOff: dec.Amount}
	if dec.Settings.Type == models.CampaignDiscount && dec.Settings.ValueType == models.ValuePercent {
		d.Type, d.PercentOff = models.ValuePercent, dec.Settings.Value
	}
	return d
}

func validateResponse(t *target, dec *decision) *ValidateResponse {
	r := &ValidateResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Valid: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, VoucherValue: dec.Settings.Value, Discount: discount(dec),
		ValidFor: ValidFor{Products: dec.Products, ProductsRegExp: productsRegExp(dec.Products)}}
	if r.ValidFor.Products == nil {
		r.ValidFor.Products = map[string]bool{}
	}
	if dec.Settings.Type == models.CampaignGift {
		b := Balance(dec.Settings, dec.Counters)
		r.Balance = &b
	}
	return r
}

// writeLog records one action on a voucher.
func (s *Service) writeLog(ctx context.Context, db *gorm.DB, t *target, action, who string, d *device, success bool, req any, resp []byte) error {
	ok := 0
	if success {
		ok = 1
	}
	err := db.WithContext(ctx).Exec(`INSERT INTO voucher_logs (user_group, voucher, requester, requester_location,
			action, success, request, response, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.V.UserGroup, t.V.ID, who, d.locationLabel(), action, ok, string(mustJSON(req)), string(resp), t.C.Currency).Error
	return pg.MapError(err)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are marshalled
	}
	return b
}

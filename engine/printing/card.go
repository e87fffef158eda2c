package printing

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models"
)

// Card returns what voucher v of campaign c prints: its code, the value and
// expiry in force (its own or inherited, vouchers.Effective), each text line
// its own or else the campaign's, and the font sizes of its style or else
// the campaign's.
func Card(c *models.Campaign, v *models.Voucher) Voucher {
	st := vouchers.Effective(c, v)
	campaignTexts := [4]string{c.VoucherText1, c.VoucherText2, c.VoucherText3, c.VoucherText4}
	texts := [4]string{v.Text1, v.Text2, v.Text3, v.Text4}
	for i := range texts {
		if texts[i] == "" {
			texts[i] = campaignTexts[i]
		}
	}
	style := v.Style
	if style == "" {
		style = c.VoucherStyle
	}
	return Voucher{Code: v.Code, Value: valueLine(st), Validity: validityLine(st.ExpiresOn), Texts: texts,
		Sizes: styleSizes(style)}
}

// valueLine prints the value: nothing for a dynamic campaign, whose value
// is decided at the machine.
func valueLine(st vouchers.Settings) string {
	switch {
	case st.Type == models.CampaignDynamic:
		return ""
	case st.ValueType == models.ValuePercent:
		return fmt.Sprintf("%d %% off", st.Value)
	case st.Type == models.CampaignDiscount:
		return money(st.Value, st.Currency) + " off"
	}
	return money(st.Value, st.Currency)
}

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

func money(cents int64, currency string) string {
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency
	}
	return fmt.Sprintf("%s %d.%02d", sym, cents/100, cents%100)
}

func validityLine(expiresOn *string) string {
	if expiresOn == nil || *expiresOn == "" {
		return "No expiry date"
	}
	date, _, _ := strings.Cut(*expiresOn, "T") // a time prints as its date
	return "Valid until " + date
}

// styleSizes reads the font sizes of the seed's style, a CSS-like JSON
// object such as {"voucherText1Lbl": {"fontSize": "28px"}}. What it cannot
// read keeps its default: a style is decoration, never a reason to fail.
func styleSizes(style string) [4]float64 {
	var sizes [4]float64
	var css map[string]struct {
		FontSize string `json:"fontSize"`
	}
	if style == "" || json.Unmarshal([]byte(style), &css) != nil {
		return sizes
	}
	for i := range sizes {
		px, err := strconv.ParseFloat(strings.TrimSuffix(css[fmt.Sprintf("voucherText%dLbl", i+1)].FontSize, "px"), 64)
		if err == nil && px > 0 {
			sizes[i] = min(max(px*0.75, 5), 36) // CSS px are 0.75 pt
		}
	}
	return sizes
}

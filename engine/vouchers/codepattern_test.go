package vouchers

import (
	"context"
	"regexp"
	"testing"

	"github.com/vendrule/vendrule/models"
)

// A campaign with a pattern generates codes of that pattern; one whose
// pattern is too weak is refused before anything is stored.
func TestGenerationFollowsCodePattern(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name string
		camp models.Campaign
		want string
	}{
		{"digits with suffix", models.Campaign{Prefix: "SUM", Suffix: "x26", CodeLength: 14, CodeAlphabet: "digits"},
			`^SUM-[0-9]{14}-X26$`},
		{"letters", models.Campaign{CodeLength: 12, CodeAlphabet: "letters"}, `^[ABCDEFGHJKMNPQRSTUVWXYZ]{12}$`},
		{"default", models.Campaign{Prefix: "DEF"}, `^DEF-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{9}$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.camp.Type, c.camp.VoucherValue, c.camp.TotalVouchers = "discount", 100, 50
			camp := f.campaign(c.camp)
			var codes []string
			must(t, f.s.DB.Raw(`SELECT code FROM vouchers WHERE campaign = ?`, camp.ID).Scan(&codes).Error)
			re := regexp.MustCompile(c.want)
			for _, code := range codes {
				if !re.MatchString(code) {
					t.Fatalf("code %q does not match %s", code, c.want)
				}
			}
			if len(codes) != 50 {
				t.Errorf("%d codes", len(codes))
			}
			// vouchers added later follow the pattern too, one or many
			one := f.voucher(camp, models.VoucherInput{})
			many, err := f.s.CreateVoucherBatch(context.Background(), f.mgr, &models.VoucherInput{Campaign: camp.ID, Count: 3})
			must(t, err)
			for _, code := range append(many, one) {
				if !re.MatchString(code) {
					t.Fatalf("added code %q does not match %s", code, c.want)
				}
			}
		})
	}
}

func TestWeakCodePatternRefused(t *testing.T) {
	f := newFixture(t)
	var c models.Campaign
	c.SetDefaults()
	c.Name, c.VoucherValue, c.TotalVouchers, c.CodeLength = "weak", 100, 10, 8
	err := f.s.CreateCampaign(context.Background(), f.mgr, &c)
	if e, ok := err.(*models.Error); !ok || e.Fields["codeLength"] == "" {
		t.Fatalf("8 symbols (39.6 bits): %v, want codeLength refused", err)
	}
}

func TestPatternCodesAreUniform(t *testing.T) {
	counts := map[byte]int{}
	p := models.CodePattern{CodeLength: 32, CodeAlphabet: "digits"}
	for range 2000 {
		code, err := NewPatternCode(p)
		must(t, err)
		for i := range len(code) {
			counts[code[i]]++
		}
	}
	// 64 000 digits: each about 6 400; a biased draw (e.g. modulo without
	// rejection) would tilt 0–5 by 2 %, rejection keeps them within noise.
	for d, n := range counts {
		if n < 6000 || n > 6800 || d < '0' || d > '9' {
			t.Errorf("digit %c drawn %d times", d, n)
		}
	}
}

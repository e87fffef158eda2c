package models

import (
	"math"
	"testing"
)

func TestCodePatternValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		p     CodePattern
		field string // "" = accepted
	}{
		{"default", CodePattern{TotalVouchers: MaxTotalVouchers}, ""},
		{"unambiguous 8 is 39.6 bits", CodePattern{CodeLength: 8, CodeAlphabet: "unambiguous"}, "codeLength"},
		{"letters 9 is 40.7 bits", CodePattern{CodeLength: 9, CodeAlphabet: "letters"}, ""},
		{"digits 12 is 39.9 bits", CodePattern{CodeLength: 12, CodeAlphabet: "digits"}, "codeLength"},
		{"digits 13", CodePattern{CodeLength: 13, CodeAlphabet: "digits", TotalVouchers: MaxTotalVouchers}, ""},
		{"too long", CodePattern{CodeLength: 33}, "codeLength"},
		{"too short", CodePattern{CodeLength: 5}, "codeLength"},
		{"unknown alphabet", CodePattern{CodeAlphabet: "emoji"}, "codeAlphabet"},
		{"suffix", CodePattern{Suffix: "x2026"}, ""},
		{"bad suffix", CodePattern{Suffix: "20-26"}, "suffix"},
		{"bad prefix", CodePattern{Prefix: "TOOLONG"}, "prefix"},
		{"too many vouchers", CodePattern{TotalVouchers: MaxTotalVouchers + 1}, "totalVouchers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			e, _ := err.(*Error)
			switch {
			case c.field == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.field != "" && (e == nil || e.Fields[c.field] == ""):
				t.Errorf("error %v, want one naming %s", err, c.field)
			}
		})
	}
}

func TestCodePatternOdds(t *testing.T) {
	o := CodePattern{TotalVouchers: 100_000}.Odds()
	if o.Length != 9 || o.Alphabet != "unambiguous" || o.PossibleCodes != math.Pow(31, 9) || o.Bits != 44.6 {
		t.Errorf("default odds %+v", o)
	}
	// 10^5 codes of 2.6e13: a guess hits one in 264 million, and the
	// birthday bound of 100 000 draws, n²/2N, is about 0.019 %.
	if math.Abs(o.Fill-100_000/math.Pow(31, 9)) > 1e-20 || o.CollisionChance < 1.8e-4 || o.CollisionChance > 2e-4 {
		t.Errorf("fill %g, collision chance %g", o.Fill, o.CollisionChance)
	}
}

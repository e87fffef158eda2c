package models

import (
	"math"
	"sort"
)

// Code alphabets by name. None has characters that read alike (0/O, 1/I/L),
// except digits, which has nothing to confuse them with.
var CodeAlphabets = map[string]string{
	"unambiguous": "23456789ABCDEFGHJKMNPQRSTUVWXYZ", // 31 symbols, the default
	"digits":      "0123456789",
	"letters":     "ABCDEFGHJKMNPQRSTUVWXYZ", // 23 symbols
}

// Code pattern limits. MinCodeBits is the API's promise that codes are not
// guessable; MinSpacePerVoucher keeps a campaign's codes a thin scatter in
// their space, so that random draws rarely collide and a guess rarely hits.
const (
	DefaultCodeAlphabet = "unambiguous"
	DefaultCodeLength   = 9
	MinCodeLength       = 6
	MaxCodeLength       = 32
	MinCodeBits         = 40
	MinSpacePerVoucher  = 1000
)

// CodePattern says how a campaign's random codes look:
// PREFIX-XXXXXXXXX-SUFFIX, Length symbols of the named alphabet.
type CodePattern struct {
	Prefix        string `json:"prefix"`
	Suffix        string `json:"suffix"`
	CodeLength    int    `json:"codeLength"`
	CodeAlphabet  string `json:"codeAlphabet"`
	TotalVouchers int    `json:"totalVouchers"`
}

// Symbols returns the alphabet's symbols; an empty name is the default.
func (p CodePattern) Symbols() string {
	if p.CodeAlphabet == "" {
		return CodeAlphabets[DefaultCodeAlphabet]
	}
	return CodeAlphabets[p.CodeAlphabet]
}

// Length returns the number of random symbols; 0 is the default.
func (p CodePattern) Length() int {
	if p.CodeLength == 0 {
		return DefaultCodeLength
	}
	return p.CodeLength
}

// IsDefault tells whether the codes are those of a campaign without a pattern.
func (p CodePattern) IsDefault() bool {
	return p.Suffix == "" && p.Length() == DefaultCodeLength &&
		(p.CodeAlphabet == "" || p.CodeAlphabet == DefaultCodeAlphabet)
}

// Validate checks the alphabet, length, prefix and suffix (as a campaign's
// prefix), and that the space of
// codes is large enough: at least MinCodeBits of randomness and
// MinSpacePerVoucher possible codes per voucher. Returns EINVALID.
func (p CodePattern) Validate() error {
	if p.Symbols() == "" {
		return FieldError("codeAlphabet", "must be one of %v", codeAlphabetNames())
	}
	if n := p.Length(); n < MinCodeLength || n > MaxCodeLength {
		return FieldError("codeLength", "must be from %d to %d", MinCodeLength, MaxCodeLength)
	}
	if p.Prefix != "" && !vPrefixPattern.MatchString(p.Prefix) {
		return FieldError("prefix", "must be 1 to 5 letters or digits")
	}
	if p.Suffix != "" && !vPrefixPattern.MatchString(p.Suffix) {
		return FieldError("suffix", "must be 1 to 5 letters or digits")
	}
	if p.TotalVouchers < 0 || p.TotalVouchers > MaxTotalVouchers {
		return FieldError("totalVouchers", "must be from 0 to %d", MaxTotalVouchers)
	}
	if p.bits() < MinCodeBits {
		return FieldError("codeLength", "gives %.1f bits of randomness; codes must not be guessable (at least %d bits): use at least %d symbols of %s",
			p.bits(), MinCodeBits, p.minLength(), p.alphabetName())
	}
	if p.space() < float64(MinSpacePerVoucher)*float64(p.TotalVouchers) {
		return FieldError("codeLength", "leaves fewer than %d possible codes per voucher", MinSpacePerVoucher)
	}
	return nil
}

func (p CodePattern) bits() float64 {
	return float64(p.Length()) * math.Log2(float64(len(p.Symbols())))
}

func (p CodePattern) space() float64 {
	return math.Pow(float64(len(p.Symbols())), float64(p.Length()))
}

// minLength is the shortest length of p's alphabet with MinCodeBits.
func (p CodePattern) minLength() int {
	return int(math.Ceil(MinCodeBits / math.Log2(float64(len(p.Symbols())))))
}

func (p CodePattern) alphabetName() string {
	if p.CodeAlphabet == "" {
		return DefaultCodeAlphabet
	}
	return p.CodeAlphabet
}

func codeAlphabetNames() []string {
	names := make([]string, 0, len(CodeAlphabets))
	for n := range CodeAlphabets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CodeOdds describes the space of a pattern's codes for a campaign of
// TotalVouchers: how many codes are possible, how many bits of randomness a
// code carries, how full the space gets (also the chance that one guessed
// code is a voucher), and the chance that two random draws collide at all
// (the birthday bound; a collision is drawn again, so it costs time, never
// a voucher).
type CodeOdds struct {
	Alphabet        string  `json:"codeAlphabet"`
	Length          int     `json:"codeLength"`
	Example         string  `json:"example"`
	PossibleCodes   float64 `json:"possibleCodes"`
	Bits            float64 `json:"bits"`
	Fill            float64 `json:"fill"`
	CollisionChance float64 `json:"collisionChance"`
}

// Odds computes the CodeOdds of p.
func (p CodePattern) Odds() CodeOdds {
	n, space := float64(p.TotalVouchers), p.space()
	return CodeOdds{Alphabet: p.alphabetName(), Length: p.Length(), PossibleCodes: space,
		Bits: math.Round(p.bits()*10) / 10, Fill: n / space,
		CollisionChance: -math.Expm1(-n * (n - 1) / (2 * space))}
}

package vouchers

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/vendrule/vendrule/models"
)

// CodeAlphabet, the default, has no characters that read alike (no 0/O,
// 1/I/L): 31 symbols, so that a code read aloud or from a smudged print is
// unambiguous.
var CodeAlphabet = models.CodeAlphabets[models.DefaultCodeAlphabet]

// CodeLength is the default number of random symbols in a code: 31^9 ≈
// 2^44.6, so codes carry more than 40 bits of randomness and cannot be
// guessed.
const CodeLength = models.DefaultCodeLength

// NewCode returns a random code "PREFIX-XXXXXXXXX" (just the symbols when
// prefix is empty) from crypto/rand.
func NewCode(prefix string) (string, error) {
	return NewPatternCode(models.CodePattern{Prefix: prefix})
}

// NewPatternCode returns a random code of pattern p from crypto/rand:
// "PREFIX-" when p has a prefix, p.Length() symbols of its alphabet, and
// "-SUFFIX" (upper-cased) when p has a suffix.
func NewPatternCode(p models.CodePattern) (string, error) {
	symbols, n := p.Symbols(), p.Length()
	out := make([]byte, 0, len(p.Prefix)+len(p.Suffix)+2+n)
	if p.Prefix != "" {
		out = append(append(out, p.Prefix...), '-')
	}
	out, err := appendRandom(out, symbols, n)
	if err != nil {
		return "", err
	}
	if p.Suffix != "" {
		out = append(append(out, '-'), strings.ToUpper(p.Suffix)...)
	}
	return string(out), nil
}

// appendRandom appends n symbols drawn uniformly from symbols.
func appendRandom(out []byte, symbols string, n int) ([]byte, error) {
	// Rejection sampling keeps every symbol equally likely: bytes at or
	// above the largest multiple of len(symbols) below 256 are dropped.
	size := len(symbols)
	limit := 256 - 256%size
	buf := make([]byte, 2*n)
	for drawn := 0; drawn < n; {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("vouchers: random code: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && drawn < n {
				out = append(out, symbols[int(b)%size])
				drawn++
			}
		}
	}
	return out, nil
}

// CheckCodePattern returns the odds of pattern p with an example code, or
// EINVALID when a campaign may not use it.
func CheckCodePattern(p models.CodePattern) (*models.CodeOdds, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	odds := p.Odds()
	example, err := NewPatternCode(p)
	odds.Example = example
	return &odds, err
}

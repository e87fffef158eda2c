package vouchers

import (
	"crypto/rand"
	"fmt"
)

// CodeAlphabet has no characters that read alike (no 0/O, 1/I/L): 31
// symbols, so that a code read aloud or from a smudged print is unambiguous.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLength is the number of random symbols in a code: 31^9 ≈ 2^44.6, so
// codes carry more than 40 bits of randomness and cannot be guessed.
const CodeLength = 9

// NewCode returns a random code "PREFIX-XXXXXXXXX" (just the symbols when
// prefix is empty) from crypto/rand.
func NewCode(prefix string) (string, error) {
	var buf [CodeLength * 2]byte
	out := make([]byte, 0, len(prefix)+1+CodeLength)
	if prefix != "" {
		out = append(append(out, prefix...), '-')
	}
	for n := 0; n < CodeLength; {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("vouchers: random code: %w", err)
		}
		for _, b := range buf {
			// Rejection sampling keeps every symbol equally likely: 248 is
			// the largest multiple of 31 below 256.
			if b < 248 && n < CodeLength {
				out = append(out, CodeAlphabet[b%31])
				n++
			}
		}
	}
	return string(out), nil
}

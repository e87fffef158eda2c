package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestLockedUntil(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(mins ...float64) []time.Time {
		out := make([]time.Time, len(mins))
		for i, m := range mins {
			out[i] = t0.Add(time.Duration(m * float64(time.Minute)))
		}
		return out
	}
	cases := []struct {
		name      string
		failures  []time.Time
		now       time.Time
		locked    bool
		wantUntil time.Time // zero: not checked
	}{
		{"none", nil, t0, false, time.Time{}},
		{"four", at(0, 1, 2, 3), t0.Add(4 * time.Minute), false, time.Time{}},
		{"five at once", at(0, 0, 0, 0, 0), t0, true, t0.Add(30 * time.Minute)},
		{"five in 15 min", at(0, 5, 10, 14, 15), t0.Add(16 * time.Minute), true, t0.Add(45 * time.Minute)},
		{"five in 15 min, unsorted", at(15, 0, 10, 5, 14), t0.Add(16 * time.Minute), true, t0.Add(45 * time.Minute)},
		{"five over 15 min 1s", at(0, 5, 10, 14, 15+1.0/60), t0.Add(16 * time.Minute), false, time.Time{}},
		{"lock ends 30 min after the fifth", at(0, 1, 2, 3, 4), t0.Add(34 * time.Minute), false, t0.Add(34 * time.Minute)},
		{"a second before the end", at(0, 1, 2, 3, 4), t0.Add(34*time.Minute - time.Second), true, t0.Add(34 * time.Minute)},
		{"sliding window", at(0, 20, 21, 22, 23, 24), t0.Add(25 * time.Minute), true, t0.Add(54 * time.Minute)},
		{"old failures do not count", at(0, 1, 2, 3, 60), t0.Add(61 * time.Minute), false, time.Time{}},
		{"sixth extends", at(0, 1, 2, 3, 4, 10), t0.Add(35 * time.Minute), true, t0.Add(40 * time.Minute)},
	}
	for _, c := range cases {
		until, locked := lockedUntil(c.failures, c.now)
		if locked != c.locked {
			t.Errorf("%s: locked = %v, want %v (until %v)", c.name, locked, c.locked, until)
		}
		if !c.wantUntil.IsZero() && !until.Equal(c.wantUntil) {
			t.Errorf("%s: until = %v, want %v", c.name, until, c.wantUntil)
		}
	}
	// lockedUntil does not reorder its argument.
	f := at(4, 3, 2, 1, 0)
	lockedUntil(f, t0)
	if !f[0].Equal(t0.Add(4 * time.Minute)) {
		t.Errorf("lockedUntil sorted the caller's slice")
	}
}

func TestAccessTokens(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tok, err := signAccess(secret, 42, 7, now, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if id, gen, err := parseAccess(secret, tok, now.Add(15*time.Minute-time.Second)); err != nil || id != 42 || gen != 7 {
		t.Errorf("parse = %d, %d, %v", id, gen, err)
	}
	if _, _, err := parseAccess(secret, tok, now.Add(15*time.Minute+time.Second)); err == nil {
		t.Errorf("expired token accepted")
	}
	if _, _, err := parseAccess([]byte("another secret, another secret!!"), tok, now); err == nil {
		t.Errorf("token of another secret accepted")
	}
	// alg "none" and other algorithms are refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.RegisteredClaims{Subject: "42", Issuer: "vendrule",
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, _, err := parseAccess(secret, none, now); err == nil {
		t.Errorf("alg none accepted")
	}
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.RegisteredClaims{Subject: "42", Issuer: "vendrule",
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}).SignedString(secret)
	if _, _, err := parseAccess(secret, hs512, now); err == nil {
		t.Errorf("HS512 accepted")
	}
	// Without expiry, or from another issuer, or with a junk subject.
	for name, claims := range map[string]jwt.RegisteredClaims{
		"no expiry":     {Subject: "42", Issuer: "vendrule"},
		"other issuer":  {Subject: "42", Issuer: "someone", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		"junk subject":  {Subject: "x", Issuer: "vendrule", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		"empty subject": {Issuer: "vendrule", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
	} {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if _, _, err := parseAccess(secret, s, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRandomAndHashedTokens(t *testing.T) {
	a, b := randomToken(32), randomToken(32)
	if a == b || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("randomToken: %q %q", a, b)
	}
	if hashToken(a) == hashToken(b) || hashToken(a) != hashToken(a) || len(hashToken(a)) != 64 {
		t.Errorf("hashToken")
	}
}

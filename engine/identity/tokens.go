package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// DeviceKeyPrefix starts every machine key, so that the two kinds of bearer
// token can be told apart without a database round trip.
const DeviceKeyPrefix = "vrd_"

// randomToken returns a URL-safe random secret with n bytes of entropy.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken hashes a high-entropy secret for storage. A fast hash is enough
// here: the secrets are random, not chosen by people.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// accessClaims are an access token's claims. Gen is the user's token
// generation when the token was signed: raising the generation (a password
// change or reset, disabling the user) ends every token signed before.
// Tokens signed before generations existed carry none and read as 0, the
// generation every user started with.
type accessClaims struct {
	jwt.RegisteredClaims
	Gen int64 `json:"gen,omitempty"`
}

// signAccess returns a signed access token for user id of generation gen.
func signAccess(secret []byte, userID, gen int64, now time.Time, ttl time.Duration) (string, error) {
	claims := accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(userID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		Issuer:    "vendrule",
	}, Gen: gen}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// parseAccess checks an access token and returns its user id and token
// generation.
func parseAccess(secret []byte, token string, now time.Time) (id, gen int64, err error) {
	claims := &accessClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("vendrule"),
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithExpirationRequired())
	if err != nil {
		return 0, 0, models.Errorf(models.EUNAUTHORIZED, "invalid or expired access token")
	}
	id, err = strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil {
		return 0, 0, models.Errorf(models.EUNAUTHORIZED, "invalid access token")
	}
	return id, claims.Gen, nil
}

// LoadSecret returns the token-signing key kept in the database, making one
// on first use; every replica on one database then signs with the same key.
func LoadSecret(ctx context.Context, db *pg.DB) ([]byte, error) {
	err := db.WithContext(ctx).Exec(`INSERT INTO settings (key, value) VALUES ('token_secret', ?)
		ON CONFLICT (key) DO NOTHING`, randomToken(32)).Error
	if err != nil {
		return nil, pg.MapError(err)
	}
	var secret string
	err = db.WithContext(ctx).Raw(`SELECT value FROM settings WHERE key = 'token_secret'`).Scan(&secret).Error
	return []byte(secret), pg.MapError(err)
}

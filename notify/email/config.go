// Package email is the SMTP channel of notify: it parses SMTP_URL and sends
// envelopes with wneessen/go-mail, one connection per batch.
package email

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/vendrule/vendrule/models"
)

// TLS modes of SMTP_URL.
const (
	TLSNone     = "none"     // plain text, e.g. a local catcher on port 1025
	TLSStartTLS = "starttls" // upgrade after connecting, usually port 587
	TLSImplicit = "tls"      // TLS from the first byte, usually port 465
)

// DefaultFrom is the sender when MAIL_FROM is not set.
const DefaultFrom = "vendrule@localhost"

// Config is where and how to send mail.
type Config struct {
	Host     string
	Port     int
	TLS      string // TLSNone, TLSStartTLS or TLSImplicit
	Username string // empty: no authentication
	Password string
	From     string
}

// ParseURL reads smtp://user:pass@host:port?tls=none|starttls|tls. The port
// defaults to 25 for none, 587 for starttls and 465 for tls; tls defaults to
// starttls. from is MAIL_FROM (DefaultFrom when empty). Returns EINVALID.
func ParseURL(raw, from string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return Config{}, models.Errorf(models.EINVALID, "SMTP_URL must look like smtp://user:pass@host:port?tls=starttls")
	}
	c := Config{Host: u.Hostname(), TLS: strings.ToLower(u.Query().Get("tls"))}
	if c.TLS == "" {
		c.TLS = map[bool]string{true: TLSImplicit, false: TLSStartTLS}[u.Scheme == "smtps"]
	}
	if c.Port, err = port(u.Port(), c.TLS); err != nil {
		return Config{}, err
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if c.From, err = sender(from); err != nil {
		return Config{}, err
	}
	return c, nil
}

// port returns the explicit port or the usual one for the TLS mode.
func port(p, mode string) (int, error) {
	defaults := map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}
	def, ok := defaults[mode]
	if !ok {
		return 0, models.Errorf(models.EINVALID, "SMTP_URL: tls must be none, starttls or tls, not %q", mode)
	}
	if p == "" {
		return def, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, models.Errorf(models.EINVALID, "SMTP_URL: bad port %q", p)
	}
	return n, nil
}

// sender checks MAIL_FROM, which may carry a display name.
func sender(from string) (string, error) {
	if strings.TrimSpace(from) == "" {
		return DefaultFrom, nil
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return "", models.Errorf(models.EINVALID, "MAIL_FROM %q is not an email address", from)
	}
	return from, nil
}

// String describes the configuration without the password, for logs.
func (c Config) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + ":***@"
	}
	return fmt.Sprintf("smtp://%s%s:%d?tls=%s", user, c.Host, c.Port, c.TLS)
}

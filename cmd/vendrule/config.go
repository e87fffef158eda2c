package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/vendrule/vendrule/notify/email"
)

// Config is the service's configuration, read from the environment.
type Config struct {
	DatabaseURL string        // DATABASE_URL; empty starts the embedded PostgreSQL
	DataDir     string        // VENDRULE_DATA: where the embedded PostgreSQL keeps its data
	Addr        string        // VENDRULE_ADDR
	SMTPURL     string        // SMTP_URL
	MailFrom    string        // MAIL_FROM
	Secret      string        // VENDRULE_SECRET; empty keeps a generated one in the database
	Tick        time.Duration // VENDRULE_TICK
	BaseURL     string        // VENDRULE_BASE_URL: the console address used in emails
	Proxies     []string      // VENDRULE_TRUSTED_PROXIES: comma-separated addresses or CIDRs
	// MetricsAddr (VENDRULE_METRICS_ADDR) serves /metrics on an address of
	// its own, and not on Addr; empty: on Addr.
	MetricsAddr string
	// MetricsToken (VENDRULE_METRICS_TOKEN) is the bearer token /metrics
	// asks for; empty: none.
	MetricsToken string
	// Pprof (VENDRULE_PPROF=1) adds Go's profiles under /debug/pprof/ to the
	// metrics address, which must then be an address of its own.
	Pprof bool
}

// minMetricsToken is the shortest metrics token accepted: a short one could
// be guessed, and would protect no better than none.
const minMetricsToken = 16

// LoadConfig reads and checks the environment.
func LoadConfig() (Config, error) {
	c := Config{
		DatabaseURL:  os.Getenv("DATABASE_URL"),
		DataDir:      envOr("VENDRULE_DATA", ".vendrule"),
		Addr:         envOr("VENDRULE_ADDR", ":8080"),
		SMTPURL:      os.Getenv("SMTP_URL"),
		MailFrom:     envOr("MAIL_FROM", "vendrule@localhost"),
		Secret:       os.Getenv("VENDRULE_SECRET"),
		BaseURL:      envOr("VENDRULE_BASE_URL", "http://localhost:8080"),
		MetricsAddr:  os.Getenv("VENDRULE_METRICS_ADDR"),
		MetricsToken: os.Getenv("VENDRULE_METRICS_TOKEN"),
		Pprof:        os.Getenv("VENDRULE_PPROF") == "1",
	}
	for _, p := range strings.Split(os.Getenv("VENDRULE_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return c, fmt.Errorf("VENDRULE_TRUSTED_PROXIES: %q is not an address or CIDR", p)
			}
		}
		c.Proxies = append(c.Proxies, p)
	}
	tick, err := time.ParseDuration(envOr("VENDRULE_TICK", "30s"))
	if err != nil || tick < time.Second {
		return c, fmt.Errorf("VENDRULE_TICK must be a duration of at least 1s, such as 30s")
	}
	c.Tick = tick
	if c.SMTPURL != "" {
		if _, err := email.ParseURL(c.SMTPURL, c.MailFrom); err != nil {
			return c, fmt.Errorf("SMTP_URL or MAIL_FROM: %w", err)
		}
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		return c, fmt.Errorf("VENDRULE_SECRET must be at least 32 characters")
	}
	return c, c.checkMetrics()
}

// checkMetrics checks the metrics address and token.
func (c Config) checkMetrics() error {
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil || c.MetricsAddr == c.Addr {
			return fmt.Errorf("VENDRULE_METRICS_ADDR must be a host:port other than VENDRULE_ADDR, such as 127.0.0.1:9464")
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		return fmt.Errorf("VENDRULE_PPROF needs VENDRULE_METRICS_ADDR: profiles are never served on the main address")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < minMetricsToken {
		return fmt.Errorf("VENDRULE_METRICS_TOKEN must be at least %d characters", minMetricsToken)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

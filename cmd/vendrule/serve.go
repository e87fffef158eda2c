package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/engine/printing"
	"github.com/vendrule/vendrule/engine/schedule"
	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pg/pgembed"
	"github.com/vendrule/vendrule/notify"
	"github.com/vendrule/vendrule/notify/email"
	"github.com/vendrule/vendrule/web"
)

// Main is the running service: database, HTTP server and background work.
// Tests run it whole on 127.0.0.1:0.
type Main struct {
	Config   Config
	DB       *pg.DB
	embedded *pgembed.Server
	listener net.Listener
	server   *http.Server
	metrics  *metricsServer // nil: /metrics is served on the main address
	jobs     *schedule.Scheduler
	vouchers *vouchers.Service
	printing *printing.Service
	identity *identity.Service
}

// NewMain returns a service for cfg; Open starts it.
func NewMain(cfg Config) *Main { return &Main{Config: cfg} }

// openDB connects to DATABASE_URL, or starts the embedded PostgreSQL. With
// share set, an embedded server that a running `serve` already keeps is used
// as it is, so that `user add` and `migrate` work beside it.
func (m *Main) openDB(ctx context.Context, share bool) error {
	url := m.Config.DatabaseURL
	if url == "" {
		srv, err := pgembed.Start(ctx, m.Config.DataDir, slog.Default())
		switch {
		case share && errors.Is(err, pgembed.ErrRunning):
			if url, err = pgembed.RunningURL(m.Config.DataDir); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			m.embedded, url = srv, srv.URL()
		}
	}
	db, err := pg.Open(ctx, url)
	if err != nil {
		return err
	}
	m.DB = db
	return nil
}

// Open connects the database, applies migrations and starts listening.
func (m *Main) Open(ctx context.Context) error {
	if err := m.openDB(ctx, false); err != nil {
		return err
	}
	if err := m.DB.Migrate(ctx); err != nil {
		return err
	}
	secret := []byte(m.Config.Secret)
	if len(secret) == 0 {
		var err error
		if secret, err = identity.LoadSecret(ctx, m.DB); err != nil {
			return err
		}
	}
	ids := identity.New(m.DB, secret)
	ids.BaseURL = m.Config.BaseURL
	m.identity = ids
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(m.DB.SQL, "vendrule"))
	vs := vouchers.New(m.DB)
	m.vouchers = vs
	if err := vs.Resume(ctx); err != nil { // redo generations a crash cut short
		return err
	}
	m.printing = printing.New(m.DB)
	alertEngine := alerts.New(m.DB)
	alertEngine.Enqueue = notify.Alerts{ConsoleURL: m.Config.BaseURL}.Enqueue
	channel, err := email.FromEnv(m.Config.SMTPURL, m.Config.MailFrom)
	if err != nil {
		return err
	}
	mail := notify.NewDeliverer(m.DB, channel)
	mail.ConsoleURL = m.Config.BaseURL
	router := web.NewRouter(web.Deps{
		DB: m.DB, Identity: ids, Fleet: &fleet.Service{DB: m.DB, Now: time.Now},
		Ingest: &ingest.Service{DB: m.DB, Now: time.Now, OnStored: alertEngine.OnStored},
		Alerts: alertEngine, Mail: mail,
		Vouchers: vs, Printing: m.printing, Registry: reg, Log: slog.Default(), TrustedProxies: m.Config.Proxies,
		MetricsToken: m.Config.MetricsToken, MetricsElsewhere: m.Config.MetricsAddr != "",
	})
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	m.server = &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if m.Config.MetricsAddr != "" {
		if m.metrics, err = listenMetrics(m.Config.MetricsAddr, web.MetricsHandler(reg, m.Config.MetricsToken),
			m.profiles()); err != nil {
			return err
		}
	}
	return m.schedule(ids, alertEngine, mail, vs)
}

// schedule registers the periodic work. It runs on one replica at a time;
// each job claims its work in the database, so a replica that dies mid-job
// leaves it for the next tick.
func (m *Main) schedule(ids *identity.Service, alertEngine *alerts.Engine, mail *notify.Deliverer,
	vs *vouchers.Service) error {
	jobs, err := schedule.New(m.DB, "")
	if err != nil {
		return err
	}
	m.jobs = jobs
	return errors.Join(
		jobs.Every("alerts", m.Config.Tick, alertEngine.Tick),
		jobs.Every("outbox", m.Config.Tick, func(ctx context.Context) error {
			return errors.Join(mail.Digests(ctx), mail.Drain(ctx))
		}),
		// A generation whose replica died mid-way is picked up again.
		jobs.Every("voucher-generations", time.Minute, vs.Resume),
		// PDFs asked for or changed; a replica kicks its own at once, this
		// picks up the ones whose replica died.
		jobs.Every("printing", m.Config.Tick, m.printing.Run),
		jobs.Every("housekeeping", time.Hour, ids.Purge))
}

// Addr returns the address the service listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// MetricsAddr returns the address /metrics is served on when it has one of
// its own, else "".
func (m *Main) MetricsAddr() string {
	if m.metrics == nil {
		return ""
	}
	return m.metrics.listener.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully.
func (m *Main) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- m.server.Serve(m.listener) }()
	if m.metrics != nil {
		go func() { errc <- m.metrics.server.Serve(m.metrics.listener) }()
	}
	m.jobs.Start()
	slog.Info("serving", "addr", m.Addr(), "metrics_addr", m.MetricsAddr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := m.server.Shutdown(shutdownCtx)
	if m.metrics != nil {
		err = errors.Join(err, m.metrics.server.Shutdown(shutdownCtx))
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, m.jobs.Shutdown())
}

// metricsServer serves /metrics alone on an address of its own, such as
// 127.0.0.1:9464 or an address of an internal network, so that the port the
// devices and managers reach does not show them.
type metricsServer struct {
	listener net.Listener
	server   *http.Server
}

// profiles returns Go's profiles (net/http/pprof) behind the metrics token,
// or nil when VENDRULE_PPROF is off.
func (m *Main) profiles() http.Handler {
	if !m.Config.Pprof {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return web.BearerOnly(m.Config.MetricsToken, mux)
}

// listenMetrics listens on addr for /metrics and, when profiles is not nil,
// Go's profiles.
func listenMetrics(addr string, metrics, profiles http.Handler) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (VENDRULE_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	if profiles != nil {
		mux.Handle("/debug/pprof/", profiles)
	}
	return &metricsServer{listener: ln, server: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Close releases the database and stops the embedded PostgreSQL.
func (m *Main) Close() error {
	var errs []error
	if m.vouchers != nil {
		m.vouchers.Close() // stops generations before the database goes
	}
	if m.printing != nil {
		m.printing.Close() // a render cut short is taken over when its lease runs out
	}
	if m.identity != nil {
		m.identity.Wait() // reset emails of answered requests are written before the database goes
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	if m.embedded != nil {
		errs = append(errs, m.embedded.Stop())
	}
	return errors.Join(errs...)
}

// defaultGCPercent is the garbage collector's target for serve when GOGC is
// not set: the server's live heap is small (tens of MB) and its garbage is
// per-request, so collecting at 5× the live heap instead of 2× takes a
// collector that cost ~10 % of the server's CPU under device load down to a
// quarter of that for ~100 MB more memory (docs/vouchers.md, "Speed").
const defaultGCPercent = 400

func serve(ctx context.Context, cfg Config) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	m := NewMain(cfg)
	defer func() {
		if err := m.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "vendrule: close:", err)
		}
	}()
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

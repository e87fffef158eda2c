// Command vendrule is the voucher and alerting rules engine of a vending
// fleet: `vendrule serve | migrate [up|down|status] | user add … | version`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

const usage = `usage:
  vendrule serve                      run the HTTP service and the scheduler
  vendrule migrate [up|down|status]   manage the database schema
  vendrule user add --group G --username U --email E [--admin] --password-stdin
  vendrule version
Configuration is by environment; see the README.`

func main() {
	logs := newBufferedLog(os.Stderr)
	slog.SetDefault(slog.New(slog.NewJSONHandler(logs, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	_ = logs.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vendrule:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, cfg)
	case "migrate":
		return migrate(ctx, cfg, args[1:], stdout)
	case "user":
		return userCmd(ctx, cfg, args[1:], stdin, stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, "vendrule", Version)
		return err
	}
	return errors.New(usage)
}

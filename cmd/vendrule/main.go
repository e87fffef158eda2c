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
	"runtime/debug"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

// version returns Version and, for a build from a git checkout, the commit
// and its time that Go recorded in the binary ("+dirty" for uncommitted
// changes).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return Version + " (" + info.GoVersion + ")"
	}
	return fmt.Sprintf("%s (commit %.12s%s, %s, %s)", Version, rev, dirty, at, info.GoVersion)
}

const usage = `usage:
  vendrule serve                      run the HTTP service and the scheduler
  vendrule migrate [up|down|status]   manage the database schema
  vendrule user add --group G --username U --email E [--admin] --password-stdin
  vendrule version
  vendrule help
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
	switch args[0] {
	case "help", "-h", "-help", "--help": // asked for: the usage on stdout, and success
		_, err := fmt.Fprintln(stdout, usage)
		return err
	case "version":
		_, err := fmt.Fprintln(stdout, "vendrule", version())
		return err
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
	}
	return errors.New(usage)
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vendrule/vendrule/engine/identity"
)

// migrate runs `vendrule migrate [up|down|status]`.
func migrate(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	m := NewMain(cfg)
	defer m.Close()
	if err := m.openDB(ctx, true); err != nil {
		return err
	}
	p, err := m.DB.Migrations()
	if err != nil {
		return err
	}
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	switch action {
	case "up":
		return m.DB.Migrate(ctx)
	case "down":
		r, err := p.Down(ctx)
		if err == nil && r != nil {
			fmt.Fprintf(stdout, "rolled back %d %s\n", r.Source.Version, r.Source.Path)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		for _, s := range st {
			fmt.Fprintf(stdout, "%05d %-8s %s\n", s.Source.Version, s.State, s.Source.Path)
		}
		return err
	}
	return errors.New("usage: vendrule migrate [up|down|status]")
}

// userCmd runs `vendrule user add …`, reading the password from stdin.
func userCmd(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: vendrule user add --group G --username U --email E [--admin] --password-stdin")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	group := fs.String("group", "", "user group (created as a tenant when missing)")
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "email address")
	admin := fs.Bool("admin", false, "make the group an admin group")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("pass --password-stdin and the password on standard input")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	m := NewMain(cfg)
	defer m.Close()
	if err := m.openDB(ctx, true); err != nil {
		return err
	}
	if err := m.DB.Migrate(ctx); err != nil {
		return err
	}
	ids := identity.New(m.DB, nil)
	id, err := ids.AddUser(ctx, *group, *username, *email, *admin, strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, id)
	return err
}

package pgembed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoBinaries is returned, wrapped, when no PostgreSQL server binaries are
// found. Its message is the one line a user needs to fix the problem.
var ErrNoBinaries = errors.New("no PostgreSQL binaries found: install PostgreSQL " +
	"(Debian/Ubuntu: apt install postgresql; macOS: brew install postgresql) " +
	"or set DATABASE_URL to a running server")

// debianRoot holds one <version>/bin directory per installed PostgreSQL
// version on Debian and Ubuntu.
const debianRoot = "/usr/lib/postgresql"

// binaries locates the PostgreSQL programs.
type binaries struct {
	dir string
}

// path returns the full path of the named program.
func (b binaries) path(name string) string {
	return filepath.Join(b.dir, name)
}

// findBinaries looks for a directory holding initdb and pg_ctl: first
// $VENDRULE_PG_BINDIR, then `pg_config --bindir`, then the newest version in
// /usr/lib/postgresql/*/bin, then the directory of initdb on $PATH.
func findBinaries() (binaries, error) {
	if dir := os.Getenv("VENDRULE_PG_BINDIR"); dir != "" {
		if hasServerBinaries(dir) {
			return binaries{dir: dir}, nil
		}
		return binaries{}, fmt.Errorf("%w (VENDRULE_PG_BINDIR=%s has no initdb and pg_ctl)", ErrNoBinaries, dir)
	}
	candidates := append([]string{pgConfigBindir()}, debianBindirs()...)
	candidates = append(candidates, pathBindir())
	for _, dir := range candidates {
		if dir != "" && hasServerBinaries(dir) {
			return binaries{dir: dir}, nil
		}
	}
	return binaries{}, ErrNoBinaries
}

// hasServerBinaries reports whether dir holds executable initdb and pg_ctl.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// pgConfigBindir returns what `pg_config --bindir` prints, or "".
func pgConfigBindir() string {
	exe, err := exec.LookPath("pg_config")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, exe, "--bindir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// debianBindirs returns /usr/lib/postgresql/<version>/bin directories,
// newest version first.
func debianBindirs() []string {
	entries, err := os.ReadDir(debianRoot)
	if err != nil {
		return nil
	}
	type versioned struct {
		version float64
		dir     string
	}
	var found []versioned
	for _, e := range entries {
		v, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			continue
		}
		found = append(found, versioned{v, filepath.Join(debianRoot, e.Name(), "bin")})
	}
	slices.SortFunc(found, func(a, b versioned) int { return cmp.Compare(b.version, a.version) })
	dirs := make([]string, len(found))
	for i, f := range found {
		dirs[i] = f.dir
	}
	return dirs
}

// pathBindir returns the directory of initdb found on $PATH, or "".
func pathBindir() string {
	exe, err := exec.LookPath("initdb")
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return ""
	}
	return filepath.Dir(abs)
}

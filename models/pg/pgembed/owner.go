package pgembed

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// serverUser is the system user PostgreSQL runs as when we are root.
const serverUser = "postgres"

// owner is the user that owns the server files and runs the PostgreSQL
// programs. A nil *owner means the current user.
type owner struct {
	uid, gid int
}

// currentOwner returns the postgres system user when the process runs as
// root, because initdb and postgres refuse to run as root, and nil otherwise.
func currentOwner() (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL: running as root needs a %q system user to run PostgreSQL as (create one, e.g. useradd --system %s, or set DATABASE_URL): %w", serverUser, serverUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL: uid of %s: %w", serverUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL: gid of %s: %w", serverUser, err)
	}
	return &owner{uid: uid, gid: gid}, nil
}

// prepareDirs creates the data, cluster and socket directories and the log
// file, and when running as root hands them to the server user.
func (s *Server) prepareDirs() error {
	p := s.paths
	for _, dir := range []string{p.base, p.pgdata, p.run} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("embedded PostgreSQL: %w", err)
		}
	}
	f, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	if s.owner == nil {
		return nil
	}
	return s.handOver()
}

// handOver gives the server user ownership of its files and a path to them.
func (s *Server) handOver() error {
	p := s.paths
	for _, path := range []string{p.pgdata, p.run, p.logFile} {
		if err := s.owner.chownTree(path); err != nil {
			return err
		}
	}
	return s.makeTraversable(p.base)
}

// chownTree gives o ownership of root and everything below it.
func (o *owner) chownTree(root string) error {
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, o.uid, o.gid)
	})
	if err != nil {
		return fmt.Errorf("embedded PostgreSQL: hand %s to user %s: %w", root, serverUser, err)
	}
	return nil
}

// makeTraversable adds the search (x) permission for others to dir and each
// of its parents that lack it, so that the server user can reach its files.
// Read permission is not added: the directories stay unlistable.
func (s *Server) makeTraversable(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("embedded PostgreSQL: %w", err)
		}
		if mode := fi.Mode().Perm(); mode&0o001 == 0 {
			if err := os.Chmod(dir, mode|0o001); err != nil {
				return fmt.Errorf("embedded PostgreSQL: let user %s traverse %s: %w", serverUser, dir, err)
			}
			s.log.Info("made directory traversable for the postgres user", "dir", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

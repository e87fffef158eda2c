package pgembed

import (
	"context"
	"os"
	"os/exec"
	"strings"
)

// run runs a PostgreSQL program as the server user in the data dir and
// returns its combined output.
func (s *Server) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.bin.path(prog), args...)
	cmd.Dir = s.paths.base
	cmd.SysProcAttr = sysProcAttr(s.owner)
	s.log.Debug("running PostgreSQL program", "prog", prog, "args", args)
	return cmd.CombinedOutput()
}

// oneLine joins the non-empty lines of out with " | " so that program
// output fits in a one-line error message.
func oneLine(out []byte) string {
	var lines []string
	for line := range strings.Lines(string(out)) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, " | ")
}

// firstLine returns the first line of out without surrounding space.
func firstLine(out []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

// lastLines is oneLine of the last n lines of out.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return oneLine([]byte(strings.Join(lines, "\n")))
}

// tailFile returns lastLines of the file at path, reading at most its last
// 64 KiB, or a note saying why it could not be read.
func tailFile(path string, n int) string {
	const maxRead = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	off := max(fi.Size()-maxRead, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	if len(buf) == 0 {
		return "(empty)"
	}
	return lastLines(buf, n)
}

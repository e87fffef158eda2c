// Package notifytest runs a real SMTP server (emersion/go-smtp) on loopback
// for tests and records what it receives.
package notifytest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/vendrule/vendrule/notify/email"
)

// Mail is one message the server accepted.
type Mail struct {
	From      string
	To        []string
	MessageID string // without angle brackets
	Subject   string
	Data      []byte // the whole message as received
}

// Server is an SMTP server on 127.0.0.1 that accepts every message, except
// that Reject makes it refuse chosen recipients, and Stop/Start take it down
// and up again on the same port.
type Server struct {
	Addr string // host:port

	mu      sync.Mutex
	mails   []Mail
	reject  map[string]int // recipient → SMTP code
	srv     *smtp.Server
	stopped bool
}

// Start starts a server that is stopped when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{reject: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.serve(l)
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 1 << 20
	s.mu.Lock()
	s.srv, s.stopped = srv, false
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// URL is the SMTP_URL of the server.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?tls=none" }

// Channel returns an email channel to the server.
func (s *Server) Channel(tb testing.TB) *email.Channel {
	tb.Helper()
	cfg, err := email.ParseURL(s.URL(), "vendrule@example.test")
	if err != nil {
		tb.Fatal(err)
	}
	return email.New(cfg)
}

// Stop closes the listener and every connection: the server is down.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, stopped := s.srv, s.stopped
	s.stopped = true
	s.mu.Unlock()
	if !stopped {
		_ = srv.Close()
	}
}

// Restart listens again on the same address after Stop.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	s.serve(l)
}

// Reject makes the server answer RCPT TO addr with code (e.g. 550 or 450).
func (s *Server) Reject(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(addr)] = code
}

// Mails returns a copy of what was received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// To returns the mails received for addr.
func (s *Server) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Count returns how many mails were received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

func (s *Server) add(m Mail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, m)
}

func (s *Server) rejectCode(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reject[strings.ToLower(addr)]
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

// session collects one message at a time.
type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := x.s.rejectCode(to); code != 0 {
		return &smtp.SMTPError{Code: code, Message: "recipient refused by the test server"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Mail{From: x.from, To: append([]string(nil), x.to...), Data: data}
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.MessageID = strings.Trim(msg.Header.Get("Message-Id"), "<>")
		m.Subject, _ = new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
	}
	if m.MessageID == "" {
		return errors.New("no Message-ID")
	}
	x.s.add(m)
	return nil
}

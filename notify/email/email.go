package email

import (
	"context"
	"errors"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/vendrule/vendrule/notify"
)

// Channel sends envelopes over SMTP. It is safe for concurrent use: every
// session has its own connection.
type Channel struct {
	cfg     Config
	Timeout time.Duration // per SMTP command; 15 seconds when 0
}

// New returns the channel for cfg.
func New(cfg Config) *Channel { return &Channel{cfg: cfg} }

// FromEnv returns the channel for SMTP_URL and MAIL_FROM as given, or nil
// (no channel: messages wait) when smtpURL is empty. Returns EINVALID.
func FromEnv(smtpURL, mailFrom string) (notify.Channel, error) {
	if smtpURL == "" {
		return nil, nil
	}
	cfg, err := ParseURL(smtpURL, mailFrom)
	if err != nil {
		return nil, err
	}
	return New(cfg), nil
}

// Open dials the server, says EHLO, upgrades to TLS and authenticates as
// configured.
func (ch *Channel) Open(ctx context.Context) (notify.Session, error) {
	client, err := mail.NewClient(ch.cfg.Host, ch.options()...)
	if err != nil {
		return nil, err
	}
	if err := client.DialWithContext(ctx); err != nil {
		return nil, err
	}
	return &session{client: client, from: ch.cfg.From}, nil
}

// options turns the configuration into go-mail client options.
func (ch *Channel) options() []mail.Option {
	timeout := ch.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	opts := []mail.Option{mail.WithPort(ch.cfg.Port), mail.WithTimeout(timeout), mail.WithoutNoop()}
	switch ch.cfg.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if ch.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(ch.cfg.Username), mail.WithPassword(ch.cfg.Password))
	}
	return opts
}

// session is one SMTP connection.
type session struct {
	client *mail.Client
	from   string
}

// Send writes e as a multipart/alternative message (text, then HTML) with
// e's Message-ID. A 5xx reply is permanent; anything else is worth a retry.
func (s *session) Send(ctx context.Context, e notify.Envelope) (retry, broken bool, err error) {
	m, err := s.build(e)
	if err != nil {
		return false, false, err // the message itself is bad; sending it again will not help
	}
	if err := s.client.Send(m); err != nil {
		return classify(err)
	}
	return false, false, nil
}

// build makes the go-mail message of e.
func (s *session) build(e notify.Envelope) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(s.from); err != nil {
		return nil, err
	}
	if err := m.To(e.To); err != nil {
		return nil, err
	}
	m.Subject(e.Subject)
	m.SetMessageIDWithValue(e.MessageID)
	m.SetDateWithValue(e.Date)
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	}
	return m, nil
}

// classify splits a send error: a 5xx reply is permanent, a 4xx reply is
// temporary, and an error without a reply code (a network error) is
// temporary and leaves the connection unusable.
func classify(err error) (retry, broken bool, _ error) {
	code := 0
	var se *mail.SendError
	if errors.As(err, &se) {
		code = se.ErrorCode()
	}
	switch {
	case code >= 500:
		return false, false, err
	case code >= 400:
		return true, false, err
	}
	return true, true, err
}

// Close says QUIT and closes the connection.
func (s *session) Close() error { return s.client.Close() }

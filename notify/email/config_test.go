package email_test

import (
	"testing"

	"github.com/vendrule/vendrule/notify/email"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, url, from string
		want            email.Config
		bad             bool
	}{
		{"local catcher", "smtp://127.0.0.1:1025?tls=none", "", email.Config{Host: "127.0.0.1", Port: 1025, TLS: "none", From: email.DefaultFrom}, false},
		{"starttls default", "smtp://u:p%40ss@smtp.example.com", "A <a@example.com>", email.Config{Host: "smtp.example.com", Port: 587, TLS: "starttls", Username: "u", Password: "p@ss", From: "A <a@example.com>"}, false},
		{"implicit tls", "smtp://u:p@smtp.example.com?tls=tls", "", email.Config{Host: "smtp.example.com", Port: 465, TLS: "tls", Username: "u", Password: "p", From: email.DefaultFrom}, false},
		{"smtps", "smtps://smtp.example.com", "", email.Config{Host: "smtp.example.com", Port: 465, TLS: "tls", From: email.DefaultFrom}, false},
		{"bad scheme", "http://x", "", email.Config{}, true},
		{"bad tls", "smtp://x?tls=maybe", "", email.Config{}, true},
		{"bad port", "smtp://x:99999", "", email.Config{}, true},
		{"bad from", "smtp://x", "nobody", email.Config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := email.ParseURL(tt.url, tt.from)
			if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
				t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
			}
		})
	}
	if s := (email.Config{Host: "h", Port: 1, TLS: "tls", Username: "u", Password: "secret"}).String(); s != "smtp://u:***@h:1?tls=tls" {
		t.Errorf("String() = %q", s)
	}
}

package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vendrule/vendrule/web"
)

// The client address (what the login lock-out keys on) comes from
// X-Forwarded-For only when the peer is a configured proxy.
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{name: "no proxies: the peer", proxies: nil, want: "127.0.0.1"},
		{name: "loopback proxy: the forwarded client", proxies: []string{"127.0.0.0/8"}, want: "203.0.113.9"},
		{name: "another proxy: the peer", proxies: []string{"10.0.0.0/8"}, want: "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := web.NewRouter(web.Deps{Registry: prometheus.NewRegistry(),
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), TrustedProxies: tc.proxies})
			r.GET("/test/client", func(c *gin.Context) { c.String(http.StatusOK, c.ClientIP()) })
			req := httptest.NewRequest(http.MethodGet, "/test/client", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("client address %q, want %q", got, tc.want)
			}
		})
	}
}

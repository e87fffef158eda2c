package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/engine/printing"
	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/notify"
)

// DefaultBodyLimit is the largest request body accepted.
const DefaultBodyLimit = 1 << 20

// Deps are what the HTTP layer is built on.
type Deps struct {
	DB        *pg.DB
	Identity  *identity.Service
	Fleet     *fleet.Service
	Ingest    *ingest.Service // nil: events are stored without an OnStored hook
	Alerts    *alerts.Engine  // alerts, status views and backtests
	Vouchers  *vouchers.Service
	Printing  *printing.Service // printable PDFs and logo images
	Mail      *notify.Deliverer // nil: test emails wait for the next outbox tick
	Registry  *prometheus.Registry
	Log       *slog.Logger
	BodyLimit int64
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For is
	// believed; empty: the client address is the peer's (lock-out keys on it).
	TrustedProxies []string
	// MetricsToken, when set, is the bearer token GET /metrics asks for.
	MetricsToken string
	// MetricsElsewhere leaves /metrics off the router, for a service that
	// serves MetricsHandler on an address of its own.
	MetricsElsewhere bool
}

// NewRouter builds the gin engine with every route of the service.
func NewRouter(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	if d.BodyLimit == 0 {
		d.BodyLimit = DefaultBodyLimit
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		_ = r.SetTrustedProxies(nil) // checked in the configuration; never trust on a bad list
	}
	r.ContextWithFallback = true
	r.Use(requestID(), accessLog(d.Log), newHTTPMetrics(d.Registry).handler(), recovery(), bodyLimit(d.BodyLimit), checkURLText())
	r.NoRoute(func(c *gin.Context) { fail(c, models.Errorf(models.ENOTFOUND, "no route %s", c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{
			Message: "method " + c.Request.Method + " is not allowed here", Code: "method_not_allowed"})
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", readyz(d.DB))
	if !d.MetricsElsewhere {
		r.GET("/metrics", gin.WrapH(MetricsHandler(d.Registry, d.MetricsToken)))
	}

	api := r.Group("/api/v1")
	authed := api.Group("", authenticate(d.Identity))
	managers := authed.Group("", managersOnly)
	registerAuthRoutes(api, managers, d.Identity)
	registerUserRoutes(managers, d.DB, d.Identity)
	registerFleetRoutes(managers, d.DB, d.Fleet, d.Identity)
	registerProductRoutes(managers, d.DB)
	registerDeviceRoutes(authed)
	registerVoucherRoutes(managers, authed, d.DB, d.Vouchers)
	registerImportRoutes(managers, d.Vouchers)
	registerCodePatternRoutes(managers)
	registerPrintingRoutes(managers, d.Printing)
	registerIngestRoutes(authed, managers, d.DB, d.Ingest)
	registerSummaryRoutes(managers, d.DB, d.Ingest)
	registerObserverRoutes(managers, d.DB)
	registerAlertRoutes(managers, d.DB, d.Alerts)
	registerNotifyRoutes(managers, d.DB, d.Mail)
	return r
}

// MetricsHandler serves the metrics of reg in the Prometheus text format.
// With a token it answers only a request that sends the token as its bearer
// token, and 401 to any other: the metrics name routes, load and the
// database pool, which is more than a stranger needs to see. The comparison
// takes the same time whatever the sent token, so that it cannot be guessed
// a byte at a time.
func MetricsHandler(reg *prometheus.Registry, token string) http.Handler {
	return BearerOnly(token, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

// BearerOnly serves h only to requests with Authorization: Bearer token
// (compared in constant time), 401 to others; an empty token lets all in.
func BearerOnly(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(statusOf[models.EUNAUTHORIZED])
			_ = json.NewEncoder(w).Encode(ErrorBody{Message: "send Authorization: Bearer <metrics token>",
				Code: models.EUNAUTHORIZED})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// readyz answers 200 when the database answers and the schema is current.
func readyz(db *pg.DB) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		current, err := db.Current(ctx)
		switch {
		case err != nil:
			c.JSON(http.StatusServiceUnavailable, ErrorBody{Message: "database unavailable", Code: models.EUNAVAILABLE})
		case !current:
			c.JSON(http.StatusServiceUnavailable, ErrorBody{Message: "migrations pending", Code: models.EUNAVAILABLE})
		default:
			c.JSON(http.StatusOK, gin.H{"status": "ready"})
		}
	}
}

// registerDeviceRoutes registers the routes a vending machine may call.
func registerDeviceRoutes(g *gin.RouterGroup) {
	g.GET("/device/whoami", func(c *gin.Context) {
		s := scopeOf(c)
		if !s.IsDevice() {
			fail(c, models.Errorf(models.EFORBIDDEN, "this route is for machine keys"))
			return
		}
		c.JSON(http.StatusOK, gin.H{"machine": s.MachineID, "deviceId": s.DeviceID})
	})
}

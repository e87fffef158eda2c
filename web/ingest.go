package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// The ingested resources, with the columns each allows in where, sort and
// export.
var (
	logsRes = &models.Resource{Name: "logs", Table: "logs", Columns: models.NewColumns(
		"id", "remote", "machine", "location", "code", "errorIdentity", "type", "isResolvable", "occurredAt",
		"timeZone", "duration", "resolvedAt", "resolvedBy", "state", "userGroup", "createdAt", "updatedAt")}
	revenueTransactionsRes = &models.Resource{Name: "revenuetransactions", Table: "revenue_transactions",
		Columns: models.NewColumns("id", "remote", "machine", "location", "product", "name", "internalRef",
			"occurredAt", "timeZone", "originalPrice", "price", "barcode", "currency", "token", "salestype",
			"numPaymentTransactions", "pricelist", "userGroup", "createdAt", "updatedAt")}
	paymentTransactionsRes = &models.Resource{Name: "paymenttransactions", Table: "payment_transactions",
		Columns: models.NewColumns("id", "revenuetransaction", "machine", "location", "occurredAt", "timeZone",
			"method", "type", "price", "currency", "exclude", "reportGroup", "userGroup", "createdAt", "updatedAt")}
)

// registerIngestRoutes registers ingestion on authed (devices and managers)
// and the lists of what was ingested on managers.
func registerIngestRoutes(authed, managers *gin.RouterGroup, db *pg.DB, svc *ingest.Service) {
	if svc == nil {
		svc = &ingest.Service{DB: db, Now: time.Now}
	}
	h := ingestHandlers{svc: svc}
	authed.POST("/logs", h.postLogs)
	authed.POST("/revenuetransactions", h.postTransactions)
	registerReadOnly[models.Event](managers, db, logsRes)
	registerReadOnly[models.RevenueTransaction](managers, db, revenueTransactionsRes)
	registerReadOnly[models.PaymentTransaction](managers, db, paymentTransactionsRes)
}

type ingestHandlers struct{ svc *ingest.Service }

func (h ingestHandlers) postLogs(c *gin.Context) {
	items, err := decodeBatch[models.EventInput](c)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := h.svc.IngestEvents(c.Request.Context(), scopeOf(c), items)
	respond(c, res, err)
}

func (h ingestHandlers) postTransactions(c *gin.Context) {
	items, err := decodeBatch[models.TransactionInput](c)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := h.svc.IngestTransactions(c.Request.Context(), scopeOf(c), items)
	respond(c, res, err)
}

// decodeBatch reads one JSON object or an array of up to models.MaxBatch
// objects, strictly; errors name the item, e.g. "[3].price". A single
// object is item [0].
func decodeBatch[T any](c *gin.Context) ([]T, error) {
	var raw json.RawMessage
	if err := decode(c, &raw); err != nil {
		return nil, err
	}
	return parseBatch[T](raw)
}

// parseBatch is decodeBatch on a body already read: pure, so that
// FuzzParseBatch can run it without a server.
func parseBatch[T any](raw json.RawMessage) ([]T, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		var item T
		if err := decodeBytes(raw, &item); err != nil {
			return nil, models.PrefixError(err, "[0].")
		}
		return []T{item}, nil
	}
	var elems []json.RawMessage
	if err := decodeBytes(raw, &elems); err != nil {
		return nil, err
	}
	if len(elems) > models.MaxBatch {
		return nil, models.Errorf(models.EINVALID, "a batch holds at most %d items, got %d", models.MaxBatch, len(elems))
	}
	items := make([]T, len(elems))
	for i, e := range elems {
		if err := decodeBytes(e, &items[i]); err != nil {
			return nil, models.PrefixError(err, fmt.Sprintf("[%d].", i))
		}
	}
	return items, nil
}

// registerReadOnly registers the list, export and get routes of r.
func registerReadOnly[T any](g *gin.RouterGroup, db *pg.DB, r *models.Resource) {
	path := "/" + r.Name
	g.GET(path, func(c *gin.Context) { listResource[T](c, db, r) })
	g.GET(path+"/export", exportHandler(db, r))
	g.GET(path+"/:id", func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		v, err := pg.Get[T](c.Request.Context(), db.DB, scopeOf(c), r, id)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	})
}

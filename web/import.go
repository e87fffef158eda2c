package web

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/vouchers"
)

// registerImportRoutes registers the import of existing voucher codes.
func registerImportRoutes(managers *gin.RouterGroup, vs *vouchers.Service) {
	managers.POST("/campaigns/:id/vouchers/import", importHandler(vs))
}

// importHandler adds the vouchers of a CSV body to a campaign, all or none,
// answering {"imported": n}. The body is read as CSV whatever its
// Content-Type, so that a file sent with curl's --data-binary works as is.
func importHandler(vs *vouchers.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		// read whole (at most the 1 MiB body limit) so that an oversized file
		// answers 413 here rather than a CSV error in the engine
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			fail(c, readError(err, "cannot read the file"))
			return
		}
		n, err := vs.ImportVouchers(c.Request.Context(), scopeOf(c), id, bytes.NewReader(body))
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"imported": n})
	}
}

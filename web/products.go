package web

import (
	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// productsRes is the tenant's product catalogue; name is filterable with
// where[name][like] so that a manager can find a PLU by name.
var productsRes = &models.Resource{Name: "products", Table: "products", Columns: models.NewColumns(
	"id", "plu", "name", "reportName", "price", "barcode", "userGroup", "createdAt", "updatedAt")}

// registerProductRoutes serves the catalogue with the generic CRUD code.
func registerProductRoutes(g *gin.RouterGroup, db *pg.DB) {
	registerCRUD[models.Product](g, db, productsRes)
}

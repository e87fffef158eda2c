package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

func registerFleetRoutes(g *gin.RouterGroup, db *pg.DB, hours *fleet.Service, ids *identity.Service) {
	registerCRUD[models.Location](g, db, locationsRes)
	registerCRUD[models.LocationGroup](g, db, locationGroupsRes)
	// a renamed, moved or deleted machine's key is forgotten at once here
	// (identity.Service.DeviceKeyTTL elsewhere)
	registerCRUD[models.Machine](g, db, machinesRes, ids.ForgetMachine)
	registerCRUD[models.MachineGroup](g, db, machineGroupsRes)
	registerCRUD[models.Manufacturer](g, db, manufacturersRes)
	registerCRUD[models.MachineType](g, db, machineTypesRes)
	registerCRUD[models.MachineModel](g, db, machineModelsRes)
	registerCRUD[models.ErrorProfile](g, db, errorProfilesRes)
	registerCRUD[models.ErrorIdentity](g, db, errorIdentitiesRes)
	registerCRUD[models.ErrorCode](g, db, errorCodesRes)

	h := fleetHandlers{hours: hours, ids: ids}
	g.PUT("/openinghours/:resource/:id", h.setHours)
	g.GET("/machines/:id/openinghours", h.machineHours)
	g.POST("/machines/:id/apikey", h.issueKey)
}

type fleetHandlers struct {
	hours *fleet.Service
	ids   *identity.Service
}

func (h fleetHandlers) setHours(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var hours []fleet.OpeningHour
	if err := decode(c, &hours); err != nil {
		fail(c, err)
		return
	}
	err := h.hours.SetHours(c.Request.Context(), scopeOf(c), c.Param("resource"), id, hours)
	respond(c, gin.H{"message": "opening hours set"}, err)
}

// machineHours answers the hours in force for a machine; the header
// X-Opening-Hours-Source says where they come from ("none" = always open).
func (h fleetHandlers) machineHours(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	set, found, err := h.hours.MachineHours(c.Request.Context(), scopeOf(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	if !found {
		c.Header("X-Opening-Hours-Source", "none")
		c.JSON(http.StatusOK, []fleet.OpeningHour{})
		return
	}
	c.Header("X-Opening-Hours-Source", set.Resource)
	c.JSON(http.StatusOK, set.Hours)
}

func (h fleetHandlers) issueKey(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	key, err := h.ids.IssueMachineKey(c.Request.Context(), scopeOf(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, key)
}

package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

type userHandlers struct {
	db  *pg.DB
	ids *identity.Service
}

func registerUserRoutes(g *gin.RouterGroup, db *pg.DB, ids *identity.Service) {
	h := userHandlers{db: db, ids: ids}
	g.GET("/users", func(c *gin.Context) { listResource[models.User](c, db, usersRes) })
	g.GET("/users/export", exportHandler(db, usersRes))
	g.GET("/users/:id", h.getUser)
	g.POST("/users", h.createUser)
	g.PUT("/users/:id", h.updateUser)
	g.DELETE("/users/:id", h.deleteUser)
	g.GET("/usergroups", func(c *gin.Context) { listResource[models.UserGroup](c, db, userGroupsRes) })
	g.GET("/usergroups/export", exportHandler(db, userGroupsRes))
	g.GET("/usergroups/:id", h.getGroup)
	g.POST("/usergroups", h.createGroup)
	g.PUT("/usergroups/:id", h.updateGroup)
	g.DELETE("/usergroups/:id", h.deleteGroup)
}

func (h userHandlers) getUser(c *gin.Context) {
	if id, ok := pathID(c); ok {
		u, err := pg.Get[models.User](c.Request.Context(), h.db.DB, scopeOf(c), usersRes, id)
		respond(c, u, err)
	}
}

func (h userHandlers) createUser(c *gin.Context) {
	var u models.User
	if err := decode(c, &u); err != nil {
		fail(c, err)
		return
	}
	u.ID = 0
	if err := h.ids.CreateUser(c.Request.Context(), scopeOf(c), &u); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": u.ID})
}

func (h userHandlers) updateUser(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	u, err := pg.Get[models.User](c.Request.Context(), h.db.DB, scopeOf(c), usersRes, id)
	if err != nil {
		fail(c, err)
		return
	}
	if err := decode(c, u); err != nil {
		fail(c, err)
		return
	}
	u.ID = id
	respond(c, gin.H{"message": "updated"}, h.ids.UpdateUser(c.Request.Context(), scopeOf(c), u))
}

func (h userHandlers) deleteUser(c *gin.Context) {
	if id, ok := pathID(c); ok {
		respond(c, gin.H{"message": "deleted"}, h.ids.DeleteUser(c.Request.Context(), scopeOf(c), id))
	}
}

func (h userHandlers) getGroup(c *gin.Context) {
	if id, ok := pathID(c); ok {
		g, err := pg.Get[models.UserGroup](c.Request.Context(), h.db.DB, scopeOf(c), userGroupsRes, id)
		respond(c, g, err)
	}
}

func (h userHandlers) createGroup(c *gin.Context) {
	var g models.UserGroup
	if err := decode(c, &g); err != nil {
		fail(c, err)
		return
	}
	ctx, s := c.Request.Context(), scopeOf(c)
	if err := pg.CheckRefs(ctx, h.db.DB, s, g.Adoptions()); err != nil {
		fail(c, err)
		return
	}
	if err := h.ids.CreateGroup(ctx, s, &g); err != nil {
		fail(c, err)
		return
	}
	if err := pg.Adopt(ctx, h.db.DB, s, g.ID, g.Adoptions()); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": g.ID})
}

func (h userHandlers) updateGroup(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	g, err := pg.Get[models.UserGroup](c.Request.Context(), h.db.DB, scopeOf(c), userGroupsRes, id)
	if err != nil {
		fail(c, err)
		return
	}
	if err := decode(c, g); err != nil {
		fail(c, err)
		return
	}
	g.ID = id
	ctx, s := c.Request.Context(), scopeOf(c)
	if err := pg.CheckRefs(ctx, h.db.DB, s, g.Adoptions()); err != nil {
		fail(c, err)
		return
	}
	if err := h.ids.UpdateGroup(ctx, s, g); err != nil {
		fail(c, err)
		return
	}
	respond(c, gin.H{"message": "updated"}, pg.Adopt(ctx, h.db.DB, s, id, g.Adoptions()))
}

func (h userHandlers) deleteGroup(c *gin.Context) {
	if id, ok := pathID(c); ok {
		respond(c, gin.H{"message": "deleted"}, h.ids.DeleteGroup(c.Request.Context(), scopeOf(c), id))
	}
}

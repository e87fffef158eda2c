package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/models"
)

// scopeOf returns the authenticated caller's scope.
func scopeOf(c *gin.Context) models.Scope {
	s, _ := models.ScopeFrom(c.Request.Context())
	return s
}

// authenticate accepts a user's access token or a machine key and puts the
// caller's scope into the request context.
func authenticate(ids *identity.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="vendrule"`)
			fail(c, models.Errorf(models.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
			return
		}
		s, err := ids.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			fail(c, err)
			return
		}
		c.Request = c.Request.WithContext(models.WithScope(c.Request.Context(), s))
		c.Next()
	}
}

// managersOnly refuses machine keys on manager routes.
func managersOnly(c *gin.Context) {
	if scopeOf(c).IsDevice() {
		fail(c, models.Errorf(models.EFORBIDDEN, "a machine key may call only the device routes"))
		return
	}
	c.Next()
}

type authHandlers struct{ ids *identity.Service }

func registerAuthRoutes(public, users *gin.RouterGroup, ids *identity.Service) {
	h := authHandlers{ids: ids}
	public.POST("/auth/login", h.login)
	public.POST("/auth/refresh", h.refresh)
	public.POST("/auth/password/forgot", h.forgot)
	public.POST("/auth/password/reset", h.reset)
	public.POST("/auth/activate", h.activate)
	users.GET("/auth/me", h.me)
	users.POST("/auth/password/change", h.change)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (h authHandlers) login(c *gin.Context) {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		fail(c, models.Errorf(models.EINVALID, "username and password are required"))
		return
	}
	tokens, err := h.ids.Login(c.Request.Context(), req.Username, req.Password, c.ClientIP())
	respond(c, tokens, err)
}

func (h authHandlers) refresh(c *gin.Context) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	tokens, err := h.ids.Refresh(c.Request.Context(), req.RefreshToken)
	respond(c, tokens, err)
}

func (h authHandlers) forgot(c *gin.Context) {
	var req struct {
		Email string `json:"email"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := models.ValidateEmail("email", req.Email); err != nil {
		fail(c, err)
		return
	}
	err := h.ids.ForgotPassword(c.Request.Context(), req.Email, c.ClientIP())
	respond(c, gin.H{"message": "if the address belongs to a user, a reset email is on its way"}, err)
}

type tokenPassword struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (h authHandlers) reset(c *gin.Context) {
	var req tokenPassword
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	tokens, err := h.ids.ResetPassword(c.Request.Context(), req.Token, req.Password)
	respond(c, tokens, err)
}

func (h authHandlers) activate(c *gin.Context) {
	var req tokenPassword
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	tokens, err := h.ids.Activate(c.Request.Context(), req.Token, req.Password)
	respond(c, tokens, err)
}

func (h authHandlers) change(c *gin.Context) {
	var req struct {
		CurrentPassword string `json:"currentPassword"`
		Password        string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	tokens, err := h.ids.ChangePassword(c.Request.Context(), scopeOf(c), req.CurrentPassword, req.Password, c.ClientIP())
	respond(c, tokens, err)
}

func (h authHandlers) me(c *gin.Context) {
	me, err := h.ids.Me(c.Request.Context(), scopeOf(c))
	respond(c, me, err)
}

// respond answers v with 200, or err.
func respond(c *gin.Context, v any, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// entity is a pointer to a tenant-owned resource type T.
type entity[T any] interface {
	*T
	models.Entity
}

// crud serves list, export, get, create, update and delete of one resource
// with the shared list conventions and tenant scoping.
type crud[T any, P entity[T]] struct {
	db  *pg.DB
	res *models.Resource
	// changed, when set, is told the id of every row updated or deleted
	changed func(id int64)
}

// registerCRUD registers the routes of resource r under g; changed, when
// given, is called after each update or delete with the row's id.
func registerCRUD[T any, P entity[T]](g *gin.RouterGroup, db *pg.DB, r *models.Resource, changed ...func(int64)) {
	h := crud[T, P]{db: db, res: r}
	if len(changed) > 0 {
		h.changed = changed[0]
	}
	path := "/" + r.Name
	g.GET(path, h.list)
	g.GET(path+"/export", exportHandler(db, r))
	g.GET(path+"/:id", h.get)
	g.POST(path, h.create)
	g.PUT(path+"/:id", h.update)
	g.DELETE(path+"/:id", h.remove)
}

func (h crud[T, P]) list(c *gin.Context) {
	listResource[T](c, h.db, h.res)
}

// listResource answers one page of r with X-Total-Count.
func listResource[T any](c *gin.Context, db *pg.DB, r *models.Resource) {
	_, q, err := listQuery(c, r)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := pg.List[T](c.Request.Context(), db.DB, scopeOf(c), r, q)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("X-Total-Count", strconv.FormatInt(total, 10))
	c.JSON(http.StatusOK, items)
}

func (h crud[T, P]) get(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	v, err := pg.Get[T](c.Request.Context(), h.db.DB, scopeOf(c), h.res, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h crud[T, P]) create(c *gin.Context) {
	v := P(new(T))
	if d, ok := any(v).(models.Defaulter); ok {
		d.SetDefaults()
	}
	if err := decode(c, v); err != nil {
		fail(c, err)
		return
	}
	s := scopeOf(c)
	meta := v.Meta()
	meta.ID = 0
	if meta.UserGroup == 0 {
		meta.UserGroup = s.GroupID
	}
	if err := h.check(s, v); err != nil {
		fail(c, err)
		return
	}
	if err := pg.Create(c.Request.Context(), h.db.DB, s, h.res, v); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": meta.ID})
}

// check validates v and that its owning group is in scope.
func (h crud[T, P]) check(s models.Scope, v P) error {
	if !s.Sees(v.Meta().UserGroup) {
		return models.FieldError("userGroup", "refers to an unknown user group")
	}
	return v.Validate()
}

func (h crud[T, P]) update(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	s := scopeOf(c)
	stored, err := pg.Get[T](c.Request.Context(), h.db.DB, s, h.res, id)
	if err != nil {
		fail(c, err)
		return
	}
	v := P(stored)
	kept := *v.Meta()
	if err := decode(c, v); err != nil {
		fail(c, err)
		return
	}
	meta := v.Meta()
	meta.ID, meta.CreatedAt = kept.ID, kept.CreatedAt
	if err := h.check(s, v); err != nil {
		fail(c, err)
		return
	}
	if err := pg.Update(c.Request.Context(), h.db.DB, s, h.res, v); err != nil {
		fail(c, err)
		return
	}
	if h.changed != nil {
		h.changed(id)
	}
	c.JSON(http.StatusOK, v)
}

func (h crud[T, P]) remove(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	if err := pg.Delete(c.Request.Context(), h.db.DB, scopeOf(c), h.res, id); err != nil {
		fail(c, err)
		return
	}
	if h.changed != nil {
		h.changed(id)
	}
	c.JSON(http.StatusOK, gin.H{"message": "deleted"})
}

// pathID reads the :id parameter; an id that is not a number cannot exist,
// so it answers 404.
func pathID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, models.Errorf(models.ENOTFOUND, "not found"))
		return 0, false
	}
	return id, true
}

// exportHandler streams r as CSV: ?columns[]=a&columns[]=b picks columns from
// the allow-list (all of them by default); where and sort work as in lists.
func exportHandler(db *pg.DB, r *models.Resource) gin.HandlerFunc {
	return func(c *gin.Context) {
		values, q, err := listQuery(c, r)
		if err != nil {
			fail(c, err)
			return
		}
		names, cols, err := exportColumns(values["columns[]"], r.Columns)
		if err != nil {
			fail(c, err)
			return
		}
		w := csv.NewWriter(c.Writer)
		start := func() {
			c.Header("Content-Type", "text/csv; charset=utf-8")
			c.Header("Content-Disposition", `attachment; filename="`+r.Name+`.csv"`)
			c.Status(http.StatusOK)
			_ = w.Write(names)
		}
		n := 0
		err = pg.Export(c.Request.Context(), db.DB, scopeOf(c), r, q, cols, start, func(rec []string) error {
			if n++; n%1000 == 0 {
				w.Flush()
			}
			return w.Write(rec)
		})
		if err != nil && !c.Writer.Written() {
			fail(c, err)
			return
		}
		w.Flush()
		if err != nil {
			// Headers are gone; all we can do is end the stream short and log.
			_ = c.Error(err)
		}
	}
}

func exportColumns(requested []string, allowed models.Columns) (names, cols []string, err error) {
	if len(requested) == 0 {
		for n := range allowed {
			requested = append(requested, n)
		}
		slices.Sort(requested)
	}
	for _, n := range requested {
		col, ok := allowed[n]
		if !ok {
			return nil, nil, models.FieldError("columns", "cannot export %q", n)
		}
		names, cols = append(names, n), append(cols, col)
	}
	return names, cols, nil
}

// listQuery parses the query string and the list parameters of r in it.
func listQuery(c *gin.Context, r *models.Resource) (url.Values, models.ListQuery, error) {
	values, err := queryValues(c)
	if err != nil {
		return nil, models.ListQuery{}, err
	}
	q, err := models.ParseListQuery(values, r.Columns)
	return values, q, err
}

// queryValues parses the query string strictly: a malformed one is EINVALID
// rather than silently losing the parameters it could not read.
func queryValues(c *gin.Context) (url.Values, error) {
	v, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "malformed query string: %v", err)
	}
	return v, nil
}

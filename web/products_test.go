package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// The catalogue: create, read, rename, find by name (ILIKE), delete; a PLU is
// taken once per user group but another tenant may use it; bad bodies are
// refused naming the field.
func TestProductsCatalogue(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a, b := h.NewTenant("ProdA", true), h.NewTenant("ProdB", true)
	cola := map[string]any{"plu": 4711, "name": "Cola 0.5 l", "reportName": "Cola", "price": 250, "barcode": "4000000000001"}
	id := h.MustCreate(a.AccessToken, "/api/v1/products", cola)
	path := fmt.Sprintf("/api/v1/products/%d", id)
	got := h.Get(path, a.AccessToken).Expect(t, http.StatusOK).Object(t)
	if got["plu"] != float64(4711) || got["price"] != float64(250) || got["name"] != "Cola 0.5 l" {
		t.Errorf("stored product: %v", got)
	}
	h.MustCreate(a.AccessToken, "/api/v1/products", map[string]any{"plu": 12, "name": "Water", "price": 100})

	if e := h.Post("/api/v1/products", a.AccessToken, cola).ExpectError(t, http.StatusConflict, "conflict"); e.Fields["plu"] == "" {
		t.Errorf("a PLU taken twice: %+v, want the field plu named", e)
	}
	h.MustCreate(b.AccessToken, "/api/v1/products", cola) // B's catalogue is its own

	find := "/api/v1/products?where[name][like]=" + url.QueryEscape("%cola%")
	list := h.Get(find, a.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(list) != 1 || list[0]["id"] != float64(id) {
		t.Errorf("A's products like %%cola%%: %v, want only %d", list, id)
	}

	h.Put(path, a.AccessToken, map[string]any{"price": 270}).Expect(t, http.StatusOK)
	if p := h.Get(path, a.AccessToken).Expect(t, http.StatusOK).Object(t); p["price"] != float64(270) || p["plu"] != float64(4711) {
		t.Errorf("after a partial update: %v", p)
	}
	h.Get(path, b.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")

	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no plu", map[string]any{"name": "x"}, "plu"},
		{"negative plu", map[string]any{"plu": -1, "name": "x"}, "plu"},
		{"no name", map[string]any{"plu": 99}, "name"},
		{"negative price", map[string]any{"plu": 98, "name": "x", "price": -5}, "price"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := h.Post("/api/v1/products", a.AccessToken, c.body).ExpectError(t, http.StatusBadRequest, "invalid")
			if e.Fields[c.field] == "" {
				t.Errorf("error %+v does not name %s", e, c.field)
			}
		})
	}
	h.Delete(path, a.AccessToken).Expect(t, http.StatusOK)
	h.Get(path, a.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
}

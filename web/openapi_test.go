package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vendrule/vendrule/web"
)

// openAPIMethods are the operation keys of an OpenAPI 3 path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// ginParam matches a gin path parameter (:id) or catch-all (*path).
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath turns a gin route path into its OpenAPI form: /x/:id → /x/{id}.
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// openAPIFile finds docs/openapi.json relative to this test file.
func openAPIFile(t *testing.T) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(self), "..", "docs", "openapi.json")
}

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Info    map[string]any                        `json:"info"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPICoversRouter checks that docs/openapi.json documents every route
// the router registers, and nothing that it does not.
func TestOpenAPICoversRouter(t *testing.T) {
	raw, err := os.ReadFile(openAPIFile(t))
	if err != nil {
		t.Fatalf("read docs/openapi.json: %v", err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if doc.Info["title"] == nil || doc.Info["version"] == nil {
		t.Errorf("info needs title and version")
	}
	if len(doc.Paths) == 0 {
		t.Fatal("docs/openapi.json documents no paths")
	}

	// NewRouter only registers routes; nothing is dereferenced until a
	// request arrives, so nil services are enough here.
	router := web.NewRouter(web.Deps{
		Registry: prometheus.NewRegistry(),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})

	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for key := range item {
			if slices.Contains(openAPIMethods, key) {
				documented[strings.ToUpper(key)+" "+path] = true
			}
		}
	}
	registered := map[string]bool{}
	for _, r := range router.Routes() {
		registered[r.Method+" "+openAPIPath(r.Path)] = true
	}

	var missing, stale []string
	for op := range registered {
		if !documented[op] {
			missing = append(missing, op)
		}
	}
	for op := range documented {
		if !registered[op] {
			stale = append(stale, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	if len(missing) > 0 {
		t.Errorf("%d routes are missing from docs/openapi.json:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("%d operations in docs/openapi.json are not registered by the router (stale docs):\n  %s",
			len(stale), strings.Join(stale, "\n  "))
	}
	t.Logf("%d routes registered, %d operations documented", len(registered), len(documented))
}

// TestOpenAPIRefsResolve checks that every local $ref in docs/openapi.json
// points at something that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	raw, err := os.ReadFile(openAPIFile(t))
	if err != nil {
		t.Fatalf("read docs/openapi.json: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.json is not valid JSON: %v", err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, _ := child.(string)
					if !resolves(doc, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(child, at+"/"+k)
			}
		case []any:
			for _, child := range v {
				walk(child, at)
			}
		}
	}
	walk(doc, "#")
}

func resolves(doc map[string]any, ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
)

// The built-in texts (one JSON file per language code) and the layouts of
// every email, embedded in the binary.
var (
	//go:embed texts/*.json
	textFS embed.FS
	//go:embed templates/*
	templateFS embed.FS

	catalog   = loadCatalog()
	textTmpl  = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt"))
	htmlTmpl  = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html"))
	fallback  = "en"
	keyFormat = strings.NewReplacer("{", "", "}", "")
)

// loadCatalog reads texts/<code>.json into code → key → text.
func loadCatalog() map[string]map[string]string {
	entries, err := textFS.ReadDir("texts")
	if err != nil {
		panic(err)
	}
	out := map[string]map[string]string{}
	for _, e := range entries {
		b, err := textFS.ReadFile("texts/" + e.Name())
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("notify: texts/%s: %v", e.Name(), err))
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	return out
}

// Keys returns every text key a translation may override, sorted.
func Keys() []string {
	keys := make([]string, 0, len(catalog[fallback]))
	for k := range catalog[fallback] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// KnownKey reports whether key is a text of the built-in emails.
func KnownKey(key string) bool {
	_, ok := catalog[fallback][key]
	return ok
}

// Texts are the texts of one language for one tenant: its translations
// first, then the built-in texts of the language, then English.
type Texts struct {
	Lang      string            // language code, e.g. "de"
	Overrides map[string]string // the tenant's translations by key
}

// Get returns the text of key.
func (t Texts) Get(key string) string {
	if v, ok := t.Overrides[key]; ok && v != "" {
		return v
	}
	if v, ok := catalog[t.Lang][key]; ok {
		return v
	}
	if v, ok := catalog[fallback][key]; ok {
		return v
	}
	return keyFormat.Replace(key)
}

// view is what a layout sees. T returns a text with its {placeholders}
// filled in; html/template escapes it like any other string.
type view struct {
	texts Texts
	vars  *strings.Replacer
	Kind  string
	Rows  []labelled
	Link  string
	Items []digestLine
}

// labelled is one line of an alert's details.
type labelled struct{ Label, Value string }

// T returns the text of key with the message's values in its placeholders.
func (v view) T(key string) string { return v.vars.Replace(v.texts.Get(key)) }

// placeholders turns name/value pairs into a replacer of {name}.
func placeholders(kv ...string) *strings.Replacer {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...)
}

// render runs the text and HTML layouts named layout over v.
func render(layout string, v view) (text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := textTmpl.ExecuteTemplate(&tb, layout+".txt", v); err != nil {
		return "", "", fmt.Errorf("render %s.txt: %w", layout, err)
	}
	if err := htmlTmpl.ExecuteTemplate(&hb, layout+".html", v); err != nil {
		return "", "", fmt.Errorf("render %s.html: %w", layout, err)
	}
	return tb.String(), hb.String(), nil
}

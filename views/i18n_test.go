package views

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v2"

	"activation-console/store"
)

// messagesOf reads every message file of lang: id -> message.
func messagesOf(t *testing.T, lang store.Language) map[string]*i18n.Message {
	t.Helper()
	out := map[string]*i18n.Message{}
	for _, f := range mustGlob("locales/*." + string(lang) + ".yaml") {
		buf, err := fs.ReadFile(localeFiles, f)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := i18n.ParseMessageFileBytes(buf, f, map[string]i18n.UnmarshalFunc{"yaml": yaml.Unmarshal})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range mf.Messages {
			if _, dup := out[m.ID]; dup {
				t.Errorf("%s: %s is defined twice", f, m.ID)
			}
			out[m.ID] = m
		}
	}
	if len(out) == 0 {
		t.Fatalf("no messages for %s", lang)
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(m *i18n.Message) []string {
	var names []string
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		for _, p := range placeholder.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(names, p[1]) {
				names = append(names, p[1])
			}
		}
	}
	slices.Sort(names)
	return names
}

// TestMessages_SameKeysAndPlaceholdersInEveryLanguage: a message missing
// from one language would show the English one on its pages; a placeholder
// missing from a translation would drop a figure or a name.
func TestMessages_SameKeysAndPlaceholdersInEveryLanguage(t *testing.T) {
	en := messagesOf(t, store.English)
	for _, lang := range store.Languages[1:] {
		other := messagesOf(t, lang)
		for id, m := range en {
			o, ok := other[id]
			if !ok {
				t.Errorf("%s: %q is missing", lang, id)
				continue
			}
			if a, b := placeholders(m), placeholders(o); !slices.Equal(a, b) {
				t.Errorf("%s: %q has placeholders %v, English has %v", lang, id, b, a)
			}
			if o.Other == "" {
				t.Errorf("%s: %q has no text (the 'other' form)", lang, id)
			}
		}
		for id := range other {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %q is not an English message", lang, id)
			}
		}
	}
	for id, m := range en {
		if m.One != "" && m.Other == "" || m.One == "" && m.Other == "" {
			t.Errorf("en: %q needs an 'other' form", id)
		}
		if m.One != "" && !strings.Contains(m.Other, "{{.Count}}") && !strings.Contains(m.One, "{{.Count}}") {
			// A plural message is chosen by a count; it usually shows it.
			t.Logf("en: %q is plural without {{.Count}}", id)
		}
	}
}

// messageCall finds the message ids the code names: T(ctx, "id"...),
// Tn(ctx, "id", ...); a literal that is only the start of an id
// ("language." + code) is a dynamic message.
var messageCall = regexp.MustCompile(`\bTn?\(\s*[\w.()]+,\s*"([^"]+)"\s*[,)]`)

// sourceFiles are the Go and templ files that may name a message.
func sourceFiles(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_templ.go") || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".templ")) {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = string(buf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dynamicMessages are the ids the code builds rather than names: the
// language switch names each language by "language." + its code.
func dynamicMessages() []string {
	var ids []string
	for _, l := range store.Languages {
		ids = append(ids, "language."+string(l))
	}
	return ids
}

// TestMessages_EveryNamedMessageExists_AndEveryMessageIsUsed: a typo in an
// id shows [[id]] on a page; a message no code names is dead weight a
// translator keeps up for nothing.
func TestMessages_EveryNamedMessageExists_AndEveryMessageIsUsed(t *testing.T) {
	en := messagesOf(t, store.English)
	files := sourceFiles(t)
	var all strings.Builder
	for path, src := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue // a test naming a message does not use it
		}
		all.WriteString(src)
		for _, m := range messageCall.FindAllStringSubmatch(src, -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s names message %q, which no message file has", path, m[1])
			}
		}
	}
	used := all.String()
	dynamic := dynamicMessages()
	for id := range en {
		if slices.Contains(dynamic, id) {
			continue
		}
		if !strings.Contains(used, `"`+id+`"`) {
			t.Errorf("message %q is not used by any code", id)
		}
	}
	for _, id := range dynamic {
		if _, ok := en[id]; !ok {
			t.Errorf("message %q, built by the code, is missing", id)
		}
	}
}

// TestT_FillsPlaceholders_PicksPlurals_AndShowsMissingIDs.
func TestT_FillsPlaceholders_PicksPlurals_AndShowsMissingIDs(t *testing.T) {
	en := WithLanguage(context.Background(), store.English)
	zh := WithLanguage(context.Background(), store.Chinese)
	if got := T(en, "app.title", "Title", "Settings"); got != "Settings · Activation codes" {
		t.Errorf("en title: %q", got)
	}
	if got := T(zh, "app.title", "Title", "设置"); got != "设置 · 激活码管理" {
		t.Errorf("zh title: %q", got)
	}
	if got := T(en, "no.such.message"); got != "[[no.such.message]]" {
		t.Errorf("missing message: %q", got)
	}
	if got := LanguageOf(context.Background()); got != store.English {
		t.Errorf("default language: %q", got)
	}
}

func TestMatchLanguage(t *testing.T) {
	for header, want := range map[string]store.Language{
		"":                               store.English,
		"zh-CN,zh;q=0.9,en;q=0.8":        store.Chinese,
		"zh":                             store.Chinese,
		"zh-Hans":                        store.Chinese,
		"en-GB,en;q=0.9":                 store.English,
		"fr-FR,fr;q=0.9":                 store.English,
		"de;q=0.9, zh-CN;q=0.8":          store.Chinese,
		"garbage;;;q=x":                  store.English,
		strings.Repeat("zh-CN,", 10_000): store.English, // unreadable: as if none

	} {
		if got := MatchLanguage(header); got != want {
			t.Errorf("MatchLanguage(%.40q) = %q, want %q", header, got, want)
		}
	}
}

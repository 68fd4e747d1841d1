package views

// Every word a person reads comes from the message files in locales/, one
// pair per area (overview.en.yaml and overview.zh-CN.yaml), embedded in the
// binary and read with go-i18n, whose CLDR plural rules pick "1 code" or
// "2 codes" (Chinese has one form). docs/i18n.md has the glossary and the
// rules a translation follows.

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v2"
	"golang.org/x/text/language"

	"activation-console/store"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

var (
	bundleMu sync.RWMutex
	bundle   = loadBundle()
	// matcher picks the console's language for an Accept-Language header;
	// its tags are in the order of tagLanguages.
	matcher      = language.NewMatcher(languageTags(store.Languages))
	tagLanguages = store.Languages
	localizers   = map[store.Language]*i18n.Localizer{}
)

func languageTags(langs []store.Language) []language.Tag {
	tags := make([]language.Tag, len(langs))
	for i, l := range langs {
		tags[i] = language.MustParse(string(l))
	}
	return tags
}

func loadBundle() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	files, err := fs.Glob(localeFiles, "locales/*.yaml")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(localeFiles, f); err != nil {
			panic(fmt.Sprintf("views: message file %s: %v", f, err))
		}
	}
	return b
}

type languageKey struct{}

// WithLanguage puts the language of the person a response is for on ctx:
// the request's (handlers/language.go), or a mail recipient's.
func WithLanguage(ctx context.Context, lang store.Language) context.Context {
	return context.WithValue(ctx, languageKey{}, lang)
}

// LanguageOf is the language on ctx; English when none was put there.
func LanguageOf(ctx context.Context) store.Language {
	if l, ok := ctx.Value(languageKey{}).(store.Language); ok {
		return l
	}
	return store.English
}

// MatchLanguage is the console's language closest to what an
// Accept-Language header asks for; English when nothing matches.
func MatchLanguage(acceptLanguage string) store.Language {
	bundleMu.RLock()
	m, langs := matcher, tagLanguages
	bundleMu.RUnlock()
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return store.English
	}
	_, i, conf := m.Match(tags...)
	if conf == language.No {
		return store.English
	}
	return langs[i]
}

func localizer(lang store.Language) *i18n.Localizer {
	bundleMu.RLock()
	l, ok := localizers[lang]
	bundleMu.RUnlock()
	if ok {
		return l
	}
	bundleMu.Lock()
	defer bundleMu.Unlock()
	if l, ok = localizers[lang]; !ok {
		l = i18n.NewLocalizer(bundle, string(lang))
		localizers[lang] = l
	}
	return l
}

// T is the message id in the language on ctx, its placeholders filled
// from args, given in pairs: T(ctx, "app.title", "Title", title).
// A message missing from the files shows as [[id]], which the tests catch.
func T(ctx context.Context, id string, args ...any) string {
	lang := LanguageOf(ctx)
	if len(args) == 0 {
		if s, ok := plainMessages.Load(plainKey{lang, id}); ok {
			return s.(string)
		}
	}
	var data map[string]any
	if len(args) > 0 {
		data = templateData(args)
	}
	s, err := localizer(lang).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil && s == "" {
		return "[[" + id + "]]"
	}
	if len(args) == 0 && err == nil {
		plainMessages.Store(plainKey{lang, id}, s)
	}
	return s
}

// plainMessages keeps each message T wrote without placeholders, by
// language: the same words every time, which a page asks for dozens of
// times (labels, headings), so each is looked up and executed once.
var plainMessages sync.Map // plainKey -> string

type plainKey struct {
	lang store.Language
	id   string
}

// Tn is T for a message about n things: the language's plural rule picks
// the form, and {{.Count}} is n written the language's way.
func Tn[N ~int | ~int64](ctx context.Context, id string, n N, args ...any) string {
	data := templateData(args)
	data["Count"] = Num(n)
	s, err := localizer(LanguageOf(ctx)).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: int64(n)})
	if err != nil && s == "" {
		return "[[" + id + "]]"
	}
	return s
}

func templateData(args []any) map[string]any {
	data := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	return data
}

// Pseudo is the pseudo-locale of the tests: every English message wrapped
// in ⟦ ⟧, so that a page rendered in it shows any text that did not come
// from the message files (docs/i18n.md, "Tests").
const Pseudo store.Language = "en-XA"

// EnablePseudo adds the pseudo-locale to the languages a request may ask
// for with Accept-Language. Only tests call it.
func EnablePseudo() {
	bundleMu.Lock()
	defer bundleMu.Unlock()
	for _, l := range tagLanguages {
		if l == Pseudo {
			return
		}
	}
	tag := language.MustParse(string(Pseudo))
	var msgs []*i18n.Message
	for _, f := range mustGlob("locales/*.en.yaml") {
		buf, _ := localeFiles.ReadFile(f)
		mf, err := i18n.ParseMessageFileBytes(buf, f, map[string]i18n.UnmarshalFunc{"yaml": yaml.Unmarshal})
		if err != nil {
			panic(err)
		}
		for _, m := range mf.Messages {
			msgs = append(msgs, pseudoMessage(m))
		}
	}
	bundle.MustAddMessages(tag, msgs...)
	plainMessages.Clear()
	tagLanguages = append(append([]store.Language{}, tagLanguages...), Pseudo)
	matcher = language.NewMatcher(languageTags(tagLanguages))
}

func pseudoMessage(m *i18n.Message) *i18n.Message {
	wrap := func(s string) string {
		if s == "" || strings.HasPrefix(m.ID, "format.") {
			return s // layouts of dates, not words
		}
		return "⟦" + s + "⟧"
	}
	return &i18n.Message{ID: m.ID, Zero: wrap(m.Zero), One: wrap(m.One), Two: wrap(m.Two), Few: wrap(m.Few), Many: wrap(m.Many), Other: wrap(m.Other)}
}

func mustGlob(pattern string) []string {
	files, err := fs.Glob(localeFiles, pattern)
	if err != nil {
		panic(err)
	}
	return files
}

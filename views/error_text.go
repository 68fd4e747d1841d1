package views

import (
	"context"
	"strconv"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"activation-console/store"
)

// ErrorText words a refusal of the store in the language on ctx, from its
// message id and arguments (locales/errors_store.*.yaml): counts are
// written with Num, what a person typed (store.Quoted) in quotes and
// escaped, and a "Count" picks the plural form. The English text is
// written to follow a colon, as the API shows it; pages make it a
// Sentence. The platform API words it in English (handlers/api_json.go).
func ErrorText(ctx context.Context, e *store.Error) string {
	data := make(map[string]any, len(e.Args))
	cfg := &i18n.LocalizeConfig{MessageID: e.Msg, TemplateData: data}
	for name, v := range e.Args {
		switch v := v.(type) {
		case int:
			data[name] = Num(v)
		case int64:
			data[name] = Num(v)
		case store.Quoted:
			data[name] = strconv.Quote(string(v))
		default:
			data[name] = v
		}
		if name == "Count" {
			cfg.PluralCount = e.Args[name]
		}
	}
	s, err := localizer(LanguageOf(ctx)).Localize(cfg)
	if err != nil && s == "" {
		return "[[" + e.Msg + "]]"
	}
	return s
}

package store

import (
	"context"
	"strconv"
)

// Language is a language the console speaks (docs/i18n.md): a person's
// choice for pages, CSV exports and mail, and an alert recipient's for
// mail.
type Language string

// The console's languages; English is the default.
const (
	English Language = "en"
	Chinese Language = "zh-CN" // Simplified Chinese
)

// Languages are the languages offered, in the order the switch shows them.
var Languages = []Language{English, Chinese}

// ParseLanguage returns the language s names exactly, or false.
func ParseLanguage(s string) (Language, bool) {
	for _, l := range Languages {
		if string(l) == s {
			return l, true
		}
	}
	return "", false
}

// CheckLanguage validates a language a person chose in a form.
func CheckLanguage(field, s string) (Language, error) {
	l, ok := ParseLanguage(s)
	if !ok {
		return "", invalid(field, "err.language_choice")
	}
	return l, nil
}

// SetLanguage records the language a user chose; every page speaks it from
// the next request on, and so do their CSV exports and the owner's mail.
func (s *Store) SetLanguage(ctx context.Context, userID int64, lang string) error {
	l, err := CheckLanguage("language", lang)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET language = $2 WHERE id = $1`, userID, l)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundErr(CodeUnknownUser, "err.no_user_id", "ID", strconv.FormatInt(userID, 10))
	}
	return nil
}

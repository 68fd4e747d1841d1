package views

import (
	"context"

	"activation-console/store"
)

// FormErrors collects what is wrong with a submitted form: a message for
// each field at fault, and one for the form as a whole. A form names the
// fields it shows (NewFormErrors); the zero value is a form whose every
// refusal is about the whole form. Templates ask For a field (the
// FormError component shows it next to the field) and for the Form
// message; handlers Set messages of their own and Absorb the store's
// refusals.
type FormErrors struct {
	fields []string          // the fields the form shows
	msgs   map[string]string // by field; "" is the whole form
}

// NewFormErrors is an empty FormErrors for a form showing fields (the
// names of the store's Error.Field, which are the inputs' names).
func NewFormErrors(fields ...string) FormErrors {
	return FormErrors{fields: fields}
}

// Set files msg under field ("" for the whole form), replacing what was
// there.
func (e *FormErrors) Set(field, msg string) {
	if e.msgs == nil {
		e.msgs = map[string]string{}
	}
	e.msgs[field] = msg
}

// For is the message about field, "" when there is none.
func (e FormErrors) For(field string) string { return e.msgs[field] }

// Form is the message about the form as a whole, "" when there is none.
func (e FormErrors) Form() string { return e.msgs[""] }

// Any tells whether there is a message at all.
func (e FormErrors) Any() bool {
	for _, m := range e.msgs {
		if m != "" {
			return true
		}
	}
	return false
}

// Absorb files a refusal of the store that the person can correct (a
// *store.Error of kind invalid or conflict) under its field, worded as a
// sentence in the language on ctx; a refusal about a field the form does
// not show is about the whole form. It tells whether err was absorbed:
// anything else (nil, not found, forbidden, a failure) is the caller's to
// return.
func (e *FormErrors) Absorb(ctx context.Context, err error) bool {
	se, ok := store.AsError(err)
	if !ok || (se.Kind != store.KindInvalid && se.Kind != store.KindConflict) {
		return false
	}
	field := ""
	for _, f := range e.fields {
		if f == se.Field {
			field = f
		}
	}
	e.Set(field, Sentence(ErrorText(ctx, se)))
	return true
}

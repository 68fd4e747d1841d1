package views

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"activation-console/store"
)

func TestFormErrors_SetForFormAny(t *testing.T) {
	var e FormErrors // the zero value is usable
	if e.Any() || e.For("name") != "" || e.Form() != "" {
		t.Fatalf("zero FormErrors = %+v, want empty", e)
	}
	e.Set("name", "Enter a name.")
	e.Set("", "The list is full.")
	if !e.Any() || e.For("name") != "Enter a name." || e.Form() != "The list is full." || e.For("email") != "" {
		t.Errorf("after Set: name %q, form %q, email %q", e.For("name"), e.Form(), e.For("email"))
	}
	e.Set("name", "Another.")
	if e.For("name") != "Another." {
		t.Errorf("Set again: %q, want the new message", e.For("name"))
	}
	var blank FormErrors
	blank.Set("name", "")
	if blank.Any() {
		t.Error("an empty message counts as an error")
	}
}

func TestFormErrors_AbsorbFilesAStoreErrorUnderItsField(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		absorbed  bool
		field     string // where the message lands; "" the whole form
		wantWords string
	}{
		{"invalid, a field of the form", &store.Error{Kind: store.KindInvalid, Code: store.CodeInvalid, Field: "email", Msg: "err.recipient_email_missing"},
			true, "email", "Enter the e-mail address that should receive the alerts."},
		{"conflict, a field of the form", &store.Error{Kind: store.KindConflict, Code: store.CodeExists, Field: "email", Msg: "err.recipient_exists", Args: map[string]any{"Address": "bob@x.example"}},
			true, "email", "Bob@x.example is already a recipient."},
		{"wrapped", fmt.Errorf("adding: %w", &store.Error{Kind: store.KindInvalid, Code: store.CodeInvalid, Field: "name", Msg: "err.recipient_name_long", Args: map[string]any{"Max": 100}}),
			true, "name", "The name may have at most 100 characters."},
		{"a field the form does not show", &store.Error{Kind: store.KindInvalid, Code: store.CodeInvalid, Field: "device_keys", Msg: "err.device_keys_missing"},
			true, "", "Enter at least one DeviceKey, one per line."},
		{"no field", &store.Error{Kind: store.KindConflict, Code: "recipient_limit", Msg: "err.recipient_limit", Args: map[string]any{"Max": 50}},
			true, "", "The list is full: an account may have 50 recipients besides its owner. Remove one to add another."},
		{"not found is the caller's", &store.Error{Kind: store.KindNotFound, Code: store.CodeUnknownProduct, Msg: "err.no_product"}, false, "", ""},
		{"forbidden is the caller's", &store.Error{Kind: store.KindForbidden, Code: store.CodeForbidden, Msg: "err.support_only"}, false, "", ""},
		{"a failure is the caller's", errors.New("connection refused"), false, "", ""},
		{"nil", nil, false, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewFormErrors("name", "email")
			if got := e.Absorb(context.Background(), c.err); got != c.absorbed {
				t.Fatalf("Absorb = %v, want %v", got, c.absorbed)
			}
			if !c.absorbed {
				if e.Any() {
					t.Errorf("not absorbed, yet holds %+v", e)
				}
				return
			}
			if got := e.For(c.field); got != c.wantWords {
				t.Errorf("For(%q) = %q, want %q", c.field, got, c.wantWords)
			}
		})
	}
}

func TestFormError_ShowsTheFieldsMessageByItsID(t *testing.T) {
	e := NewFormErrors("email")
	e.Set("email", "Enter an address.")
	var b strings.Builder
	if err := FormError(e, "email", "recipient-email").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if want := `<div class="error" id="recipient-email-error">Enter an address.</div>`; b.String() != want {
		t.Errorf("FormError = %s, want %s", b.String(), want)
	}
	b.Reset()
	if err := FormError(e, "name", "recipient-name").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if b.String() != "" {
		t.Errorf("FormError without a message = %q, want nothing", b.String())
	}
}

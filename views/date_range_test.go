package views

import (
	"context"
	"strings"
	"testing"

	"activation-console/store"
)

func TestDateRangeFilter(t *testing.T) {
	render := func(r DateRange) string {
		var b strings.Builder
		if err := DateRangeFilter(r).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	errs := NewFormErrors()
	errs.Set("activated_to", "not a date")
	r := fieldDateRange("Activated", "activated", "near-a", "near-filter-error-", "2027-01-02", "nope", errs)
	html := render(r)
	for _, want := range []string{
		"<legend>Activated</legend>",
		`<label class="sr-only" for="near-af">Activated from</label>`,
		`id="near-af" name="activated_from" value="2027-01-02"`,
		`<label class="sr-only" for="near-at">Activated to</label>`,
		`id="near-at" name="activated_to" value="nope"`,
		`aria-describedby="near-filter-error-activated_to"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in %s", want, html)
		}
	}
	if strings.Count(html, "aria-invalid") != 1 {
		t.Errorf("want only the refused date marked invalid: %s", html)
	}
}

func TestDateRangeFilter_LabelsFollowTheLanguage(t *testing.T) {
	var b strings.Builder
	ctx := WithLanguage(context.Background(), store.Chinese)
	if err := DateRangeFilter(fieldDateRange("激活时间", "activated", "near-a", "e-", "", "", NewFormErrors())).Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<label class="sr-only" for="near-af">激活时间：起始日期</label>`) {
		t.Errorf("labels: %s", b.String())
	}
}

package handlers_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"activation-console/store"
)

// snapshot is what account B owns, to check that nothing of it changed.
func (f *accessFixture) snapshotB(t *testing.T) []any {
	t.Helper()
	lic, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.b.ID, DC: "eu-frankfurt"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.st.ProductByKey(f.ctx, f.bProduct.ProductKey)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.st.DeviceByKey(f.ctx, f.bProduct.ProductKey, f.bDevice.DeviceKey)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.st.Recipients(f.ctx, f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := f.st.Members(f.ctx, f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := f.st.AuditLog(f.ctx, f.b.ID, store.AuditFilter{}, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := f.st.WebhookEndpointsSeenBy(f.ctx, f.b.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var events int
	if err := f.st.DB().GetContext(f.ctx, &events, `SELECT count(*) FROM webhook_events WHERE account_id = $1 AND status = 'failed'`, f.b.ID); err != nil {
		t.Fatal(err)
	}
	return []any{lic, p, d.ExpiresAt, d.Blacklisted, len(rs), ms, len(audit.Rows), hooks, events}
}

// withForeignIDs fills a route's parameters with account B's ids.
func (f *accessFixture) withForeignIDs(path string) string {
	r := strings.NewReplacer(":dc", "eu-frankfurt", ":device", id(f.bDevice.ID))
	path = r.Replace(path)
	switch {
	case strings.Contains(path, "/products/:id"):
		path = strings.Replace(path, ":id", id(f.bProduct.ID), 1)
	case strings.Contains(path, "/recipients/:id"):
		path = strings.Replace(path, ":id", id(f.bRecipientID), 1)
	case strings.Contains(path, "/members/:id"):
		path = strings.Replace(path, ":id", id(f.bMemberID), 1)
	case strings.Contains(path, "/webhooks/:id"):
		path = strings.Replace(strings.Replace(path, ":id", id(f.bWebhookID), 1), ":event", id(f.bWebhookEventID), 1)
	}
	return path
}

func TestAccess_AnotherAccountsIDsAreNotFound(t *testing.T) {
	f := newAccessFixture(t)
	before := f.snapshotB(t)
	b := f.as(t, "owner")
	tried := 0
	for _, k := range consoleRoutes(f) {
		method, path, _ := strings.Cut(k, " ")
		if !strings.Contains(path, "/:id") && !strings.Contains(path, ":device") {
			continue
		}
		var form url.Values
		if method != http.MethodGet {
			form = f.formFor(path)
			form.Set("csrf", b.csrf)
		}
		rec := b.do(method, f.withForeignIDs(path), form, false)
		tried++
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s with account B's ids: status %d, want 404", k, rec.Code)
		}
	}
	// B's products also stay out of A's forms that take an id in the body.
	for _, form := range []url.Values{
		{"product": {id(f.bProduct.ID)}, "package": {"std-1y"}, "quantity": {"1"}, "confirm": {"1"}},
		{"name": {"Lee"}, "email": {"lee@acme.example"}, "password": {"lee long password"}, "scope": {"chosen"}, "product": {id(f.bProduct.ID)}},
	} {
		path := "/eu-frankfurt/assign"
		if form.Get("email") != "" {
			path = "/eu-frankfurt/members"
		}
		form.Set("csrf", b.csrf)
		rec := b.do(http.MethodPost, path, form, false)
		if rec.Code == http.StatusSeeOther || rec.Code == http.StatusOK {
			t.Errorf("POST %s with B's product: status %d, want a refusal", path, rec.Code)
		}
		tried++
	}
	if tried < 10 {
		t.Fatalf("only %d routes take ids", tried)
	}
	if after := f.snapshotB(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("account B changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestAccess_ChosenScopeHidesOtherProducts(t *testing.T) {
	f := newAccessFixture(t)
	b := f.as(t, "chosen")
	for _, k := range consoleRoutes(f) {
		method, path, _ := strings.Cut(k, " ")
		if !strings.Contains(path, "/products/:id") {
			continue
		}
		p := strings.NewReplacer(":dc", "eu-frankfurt", ":id", id(f.p2.ID), ":device", id(f.d2.ID)).Replace(path)
		var form url.Values
		if method != http.MethodGet {
			form = f.formFor(path)
			form.Set("csrf", b.csrf)
		}
		if rec := b.do(method, p, form, false); rec.Code != http.StatusNotFound {
			t.Errorf("%s on a product outside the scope: status %d, want 404", k, rec.Code)
		}
	}
	// Lists and figures show only P1.
	_, doc := b.get("/eu-frankfurt/licenses", false)
	page := text(doc.Find("main"))
	if !strings.Contains(page, "PK-A1") || strings.Contains(page, "PK-A2") {
		t.Fatalf("the product list of a chosen scope: %s", page)
	}
	rec := b.do(http.MethodGet, "/eu-frankfurt/licenses?format=csv", nil, false)
	if !strings.Contains(rec.Body.String(), "PK-A1") || strings.Contains(rec.Body.String(), "PK-A2") {
		t.Fatalf("the CSV of a chosen scope: %s", rec.Body.String())
	}
	_, doc = b.get("/eu-frankfurt/near-expiry?format=csv", false)
	if strings.Contains(doc.Text(), "dev-a2") {
		t.Fatal("a device outside the scope is exported")
	}
}

func TestAccess_UnsafeRoutesRefuseAMissingOrForgedToken(t *testing.T) {
	f := newAccessFixture(t)
	b := f.as(t, "owner")
	n := 0
	for _, k := range consoleRoutes(f) {
		method, path, _ := strings.Cut(k, " ")
		if method == http.MethodGet {
			continue
		}
		for _, token := range []string{"", "forged-" + b.csrf} {
			form := f.formFor(path)
			if token != "" {
				form.Set("csrf", token)
			}
			if rec := b.do(method, f.concrete(path), form, false); rec.Code != http.StatusForbidden {
				t.Errorf("%s with token %q: status %d, want 403", k, token, rec.Code)
			}
			n++
		}
	}
	// The session is still good: nothing above signed it out or changed anything.
	if rec := b.do(http.MethodGet, "/eu-frankfurt/licenses", nil, false); rec.Code != http.StatusOK {
		t.Fatalf("after the forged requests: %d", rec.Code)
	}
	t.Logf("%d unsafe requests refused", n)
}

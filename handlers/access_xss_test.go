package handlers_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// Payloads that must come out as text, never as markup or a spreadsheet formula.
const (
	imgPayload  = `<img src=x onerror=alert(1)>`
	htmxPayload = `<div hx-get="/signout" hx-trigger="load">x</div>`
	formula     = `=HYPERLINK("http://evil.example","click")`
)

func TestXSS_UserTextIsEscapedInPagesAndNeutralisedInCSV(t *testing.T) {
	f := newConsole(t)
	st, ctx := f.st, f.ctx
	owner := store.Actor{Name: "owner@acme.example"}
	p, err := st.CreateProduct(ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-X", Name: imgPayload})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.CreateProduct(ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-F", Name: formula})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range []store.Product{p, q} {
		if _, _, err := st.Purchase(ctx, store.PurchaseOrder{OrderNo: "o-" + pr.ProductKey, AccountID: f.account.ID, DataCenter: "eu-frankfurt",
			PackageCode: "std-1y", Quantity: 3, ProductKey: pr.ProductKey}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Connect(ctx, pr.ProductKey, "dev-1", "eu-frankfurt"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddRecipient(ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: htmxPayload, Email: "ops@acme.example", Actor: owner}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateMember(ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: owner, Name: `<script>alert(1)</script>`, Email: "kim@acme.example",
			Password: memberPassword, AllProducts: true}); err != nil {
		t.Fatal(err)
	}
	// Near expiry: move the clock to 10 days before the devices' codes expire.
	f.clock.Advance(355 * 24 * time.Hour)
	b := f.owner(t)
	pages := []string{"/eu-frankfurt/licenses", "/eu-frankfurt/licenses/history", "/eu-frankfurt/products/" + id(p.ID),
		"/eu-frankfurt/near-expiry", "/eu-frankfurt/recipients", "/eu-frankfurt/members", "/eu-frankfurt/audit",
		"/eu-frankfurt/assign?product=" + id(p.ID)}
	for _, path := range pages {
		rec, doc := b.get(path, false)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		body := rec.Body.String()
		if doc.Find(`img[src="x"]`).Length() > 0 || doc.Find(`[onerror]`).Length() > 0 {
			t.Errorf("%s: the product name became an <img>", path)
		}
		if doc.Find(`[hx-trigger="load"]`).Length() > 0 {
			t.Errorf("%s: the recipient name became an htmx element", path)
		}
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Text(), "alert") {
				t.Errorf("%s: the sub-account name became a script", path)
			}
		})
		if strings.Contains(body, imgPayload) || strings.Contains(body, htmxPayload) {
			t.Errorf("%s: a payload stands unescaped in the HTML", path)
		}
	}
	// The escaped text is still there for people to read.
	_, doc := b.get("/eu-frankfurt/licenses", false)
	if !strings.Contains(doc.Find("main").Text(), imgPayload) {
		t.Error("the product's name is not shown as text")
	}
	for _, path := range []string{"/eu-frankfurt/licenses?format=csv", "/eu-frankfurt/near-expiry?format=csv",
		"/eu-frankfurt/products/" + id(q.ID) + "?format=csv", "/eu-frankfurt/licenses/history?format=csv", "/eu-frankfurt/audit?format=csv"} {
		rec := b.do(http.MethodGet, path, nil, false)
		records, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, row := range records {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("%s: the cell %q would run as a formula", path, cell)
				}
			}
		}
	}
}

// Package mail renders the console's e-mails (docs/alerts.md): each has a
// plain-text part and an HTML part, both templ components.
//
// templ escapes text for HTML and folds whitespace, which suits the HTML
// part; the text part is built from line components that write their words
// as they are (a text/plain part has no markup to escape: "&" stays "&"),
// one line each, composed by templ like any other component.
//
// A mail speaks its recipients' language (docs/i18n.md), put on the
// rendering's context with views.WithLanguage: every word comes from
// views/locales/mail.*.yaml through views.T and views.Tn.
package mail

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/text/width"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// Renderer writes mails whose links point at the console's public URL.
type Renderer struct {
	BaseURL string // e.g. https://console.example.com/; links are made under it
	// reverse builds the path of a named route in a data center
	// (handlers.Reverse).
	reverse func(dc, name string, params ...any) string
}

// NewRenderer returns a renderer for links under baseURL, whose paths
// reverse builds from the routes' names (handlers.Reverse).
func NewRenderer(baseURL string, reverse func(dc, name string, params ...any) string) Renderer {
	return Renderer{BaseURL: strings.TrimRight(baseURL, "/"), reverse: reverse}
}

// link is the absolute URL of the route called name (a routenames
// constant) in data center dc, with params and the query q.
func (r Renderer) link(dc, name string, q url.Values, params ...any) string {
	return r.BaseURL + views.WithQuery(r.reverse(dc, name, params...), q)
}

// Alert renders the digest of an account's resource alerts in its
// recipients' language (d.Language).
func (r Renderer) Alert(d store.AlertDigest) (store.Mail, error) {
	ctx := views.WithLanguage(context.Background(), d.Language)
	m := alertMail{Digest: d, r: r}
	return render(ctx, m.Subject(ctx), alertText(m), alertHTML(m))
}

// TestAlert is what the test alert says.
type TestAlert struct {
	AccountName string
	Threshold   int
	Recipients  []string
	SentBy      string
	DC          string // where the recipients page that sent it is
	At          time.Time
	Language    store.Language // the language the recipients read it in
}

// Test renders the test alert in t.Language.
func (r Renderer) Test(t TestAlert) (store.Mail, error) {
	ctx := views.WithLanguage(context.Background(), t.Language)
	m := testMail{TestAlert: t, r: r}
	return render(ctx, views.T(ctx, "mail.test.subject", "Account", oneLine(t.AccountName)), testText(m), testHTML(m))
}

// render writes a mail's two parts in the language on ctx.
func render(ctx context.Context, subject string, text, html templ.Component) (store.Mail, error) {
	var tb, hb bytes.Buffer
	if err := text.Render(ctx, &tb); err != nil {
		return store.Mail{}, err
	}
	if err := html.Render(ctx, &hb); err != nil {
		return store.Mail{}, err
	}
	return store.Mail{Subject: subject, Text: tb.String(), HTML: hb.String()}, nil
}

// alertMail is a digest with what its views need.
type alertMail struct {
	Digest store.AlertDigest
	r      Renderer
}

// Subject names the account and how many products need attention, not the
// products. The count is of this mail's products only: each recipient's mail
// holds only what the user who added it may see (docs/SECURITY.md, "Tenant
// scope in alert mail").
func (m alertMail) Subject(ctx context.Context) string {
	return views.Tn(ctx, "mail.alert.subject", len(m.Digest.Products), "Account", oneLine(m.Digest.AccountName))
}

func (m alertMail) Intro(ctx context.Context) string {
	return views.Tn(ctx, "mail.alert.intro", len(m.Digest.Products), "Account", m.Digest.AccountName)
}

func (m alertMail) AssignURL(p store.ProductAlert) string {
	return m.r.link(p.DC, routenames.AssignForm, url.Values{"product": {strconv.FormatInt(p.ProductID, 10)}})
}

func (m alertMail) ProductURL(p store.ProductAlert) string {
	return m.r.link(p.DC, routenames.ProductDetails, nil, p.ProductID)
}

func (m alertMail) SettingsURL() string {
	dc := "eu-frankfurt"
	if len(m.Digest.Products) > 0 {
		dc = m.Digest.Products[0].DC
	}
	return m.r.link(dc, routenames.Recipients, nil)
}

// Facts are the sentences about one product, one per trigger, in the order
// a person acts on them: what is already offline first.
func (m alertMail) Facts(ctx context.Context, p store.ProductAlert) []string {
	var out []string
	if l := p.Lapsed; l != nil {
		out = append(out, views.Tn(ctx, "mail.alert.lapsed", l.Devices, "Since", when(ctx, l.Since)))
	}
	if f := p.Refused; f != nil {
		if f.Waiting > 0 {
			out = append(out, views.Tn(ctx, "mail.alert.refused_waiting", f.Waiting, "Since", when(ctx, f.Since)))
		} else {
			out = append(out, views.T(ctx, "mail.alert.refused", "Since", when(ctx, f.Since)))
		}
	}
	if f := p.Shortfall; f != nil {
		// Three counts in one sentence: each is worded, with its plural, on its own.
		out = append(out, views.T(ctx, "mail.alert.shortfall",
			"Offline", views.Tn(ctx, "mail.alert.shortfall_offline", f.Missing), "First", when(ctx, f.FirstLapse),
			"Due", views.Tn(ctx, "mail.alert.shortfall_due", f.Due), "Available", views.Tn(ctx, "mail.alert.shortfall_available", p.Available)))
	}
	if p.LowCodes {
		out = append(out, views.Tn(ctx, "mail.alert.low_codes", p.Available, "Threshold", views.Num(m.Digest.Threshold)))
	}
	return out
}

// Figures is the product's line of figures.
func (m alertMail) Figures(ctx context.Context, p store.ProductAlert) string {
	pkg := views.T(ctx, "mail.alert.no_package")
	if p.Package != "" {
		pkg = views.T(ctx, "mail.alert.package", "Package", p.Package)
	}
	return views.Tn(ctx, "mail.alert.figures", p.Available, "ProductKey", p.ProductKey, "DataCenter", p.DCName, "Package", pkg)
}

// testMail is the test alert with what its views need.
type testMail struct {
	TestAlert
	r Renderer
}

func (m testMail) SettingsURL() string { return m.r.link(m.DC, routenames.Recipients, nil) }

func (m testMail) Threshold() string { return views.Num(m.TestAlert.Threshold) }

// line writes its parts as one line of the text part, as they are.
func line(parts ...string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(parts, "")+"\n")
		return err
	})
}

// rule underlines a heading of the text part, as wide as a fixed-width
// font shows it: a Chinese character takes two columns.
func rule(heading string) templ.Component {
	return line(strings.Repeat("=", min(columns(heading), 72)))
}

func columns(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// when is a moment in a mail: in UTC, the one zone every recipient shares,
// and written the language's way.
func when(ctx context.Context, t time.Time) string {
	return t.UTC().Format(views.T(ctx, "mail.when_layout"))
}

// oneLine keeps a header free of line breaks.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

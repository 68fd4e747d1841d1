// Package mail renders the console's e-mails (docs/alerts.md): each has a
// plain-text part and an HTML part, both templ components.
//
// templ escapes text for HTML and folds whitespace, which suits the HTML
// part; the text part is built from line components that write their words
// as they are (a text/plain part has no markup to escape: "&" stays "&"),
// one line each, composed by templ like any other component.
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

// Alert renders the digest of an account's resource alerts.
func (r Renderer) Alert(d store.AlertDigest) (store.Mail, error) {
	m := alertMail{Digest: d, r: r}
	return render(m.Subject(), alertText(m), alertHTML(m))
}

// TestAlert is what the test alert says.
type TestAlert struct {
	AccountName string
	Threshold   int
	Recipients  []string
	SentBy      string
	DC          string // where the recipients page that sent it is
	At          time.Time
}

// Test renders the test alert.
func (r Renderer) Test(t TestAlert) (store.Mail, error) {
	m := testMail{TestAlert: t, r: r}
	return render("Test alert: activation codes of "+oneLine(t.AccountName), testText(m), testHTML(m))
}

func render(subject string, text, html templ.Component) (store.Mail, error) {
	var tb, hb bytes.Buffer
	ctx := context.Background()
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
func (m alertMail) Subject() string {
	return "Activation code alert: " + products(len(m.Digest.Products)) + " " + needs(len(m.Digest.Products)) +
		" attention (" + oneLine(m.Digest.AccountName) + ")"
}

func (m alertMail) Intro() string {
	return products(len(m.Digest.Products)) + " of " + m.Digest.AccountName + " " + needs(len(m.Digest.Products)) +
		" activation codes. A device without a valid code cannot connect to the platform."
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
func (m alertMail) Facts(p store.ProductAlert) []string {
	var out []string
	if l := p.Lapsed; l != nil {
		out = append(out, views.Plural(l.Devices,
			"1 device went offline since "+when(l.Since)+": its code expired and the product had none left to renew it. "+
				"It renews when it reconnects after codes are assigned, or with Renew now on the product page.",
			views.Num(l.Devices)+" devices went offline since "+when(l.Since)+": their codes expired and the product had none left to renew them. "+
				"They renew when they reconnect after codes are assigned, or with Renew now on the product page."))
	}
	if f := p.Refused; f != nil {
		if f.Waiting > 0 {
			out = append(out, views.Plural(f.Waiting,
				"1 device has been refused since "+when(f.Since)+" because the product has no activation code. It waits for a first code and connects once codes are assigned.",
				views.Num(f.Waiting)+" devices have been refused since "+when(f.Since)+" because the product has no activation code. They wait for a first code and connect once codes are assigned."))
		} else {
			out = append(out, "Devices were refused since "+when(f.Since)+" because the product has no activation code.")
		}
	}
	if f := p.Shortfall; f != nil {
		out = append(out, views.Count(f.Missing, "device", "devices")+" will go offline at expiry, the first on "+when(f.FirstLapse)+
			": "+views.Count(f.Due, "device is", "devices are")+" due to renew in the next 30 days and only "+
			views.Count(p.Available, "code is", "codes are")+" available.")
	}
	if p.LowCodes {
		out = append(out, "Only "+views.Count(p.Available, "activation code is", "activation codes are")+" left, at or below the alert threshold of "+
			views.Num(m.Digest.Threshold)+". Every new device and every renewal takes one.")
	}
	return out
}

// Figures is the product's line of figures.
func (m alertMail) Figures(p store.ProductAlert) string {
	pkg := "no package yet"
	if p.Package != "" {
		pkg = "package " + p.Package
	}
	return "PK " + p.ProductKey + ", " + p.DCName + ", " + pkg + ", " + views.Count(p.Available, "code", "codes") + " available"
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

// rule underlines a heading of the text part.
func rule(heading string) templ.Component {
	return line(strings.Repeat("=", min(len([]rune(heading)), 72)))
}

func when(t time.Time) string { return t.UTC().Format("2 Jan 2006 at 15:04") + " UTC" }

func products(n int) string { return views.Count(n, "product", "products") }

func needs(n int) string { return views.Plural(n, "needs", "need") }

// oneLine keeps a header free of line breaks.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

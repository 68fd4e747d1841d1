package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/views"
)

// isPartial tells whether to answer with a fragment: an htmx request that is
// neither boosted, nor a history restore, nor aimed at the whole content
// (#main, as after a form's redirect): those need the whole page.
func isPartial(c echo.Context) bool {
	r := c.Request()
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true" && r.Header.Get("HX-Target") != "main"
}

// render writes a page: the full layout around body, or for htmx requests
// that swap a part (isPartial) only partial (body again when partial is
// nil). The components find p on their context. It is the one place that
// decides: handlers hand it both, building the parts only the whole page
// needs with later (list_page.go). It renders into a buffer first so that a
// failing component or read still becomes a proper error response.
func (h *Handler) render(c echo.Context, status int, p views.Page, body, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx := views.WithPage(c.Request().Context(), p)
	buf := getBuffer()
	defer putBuffer(buf)
	var err error
	if isPartial(c) {
		if partial == nil {
			partial = body
		}
		err = partial.Render(ctx, buf)
	} else {
		err = views.Layout().Render(templ.WithChildren(ctx, body), buf)
	}
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// pageBuffers are the buffers pages render into, reused: a page is tens of
// kilobytes, which a fresh buffer reaches by growing (and copying) a dozen
// times.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

func getBuffer() *bytes.Buffer { return pageBuffers.Get().(*bytes.Buffer) }

// putBuffer returns a buffer once its bytes are written; an outsized one (a
// page of a thousand rows) is left to the collector rather than kept.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// forTarget is the fragment for the element an htmx request swaps: the
// one byTarget names for its HX-Target, else def (a page's lists and
// dialogs that refresh a part of themselves).
func forTarget(c echo.Context, def templ.Component, byTarget map[string]templ.Component) templ.Component {
	if comp, ok := byTarget[c.Request().Header.Get("HX-Target")]; ok {
		return comp
	}
	return def
}

// renderBare writes a page without the signed-in layout (sign-in, the
// support search); its components find the request's page on their context
// all the same.
func (h *Handler) renderBare(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	buf := getBuffer()
	defer putBuffer(buf)
	if err := comp.Render(views.WithPage(c.Request().Context(), h.barePage(c)), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// redirect sends the browser to url after a successful form: 303 for plain
// forms; for htmx, HX-Location swaps the new page's #main into this one (and
// app.js closes the dialog the form was in), so every figure is fresh.
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		loc, _ := json.Marshal(map[string]string{"path": url, "target": "#main", "select": "#main", "swap": "outerHTML"})
		c.Response().Header().Set("HX-Location", string(loc))
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

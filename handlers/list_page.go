package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// Every list page (the product activation codes, the near-expiry devices,
// the assignment history, the audit log) takes one path: read the filter
// and the cursor, answer ?format=csv with the export or read one page from
// the store, build the pager and the props, and render, with 422 while a
// filter was refused. render decides whether the whole page or only the
// results are sent. A product's details page takes the same steps in its
// own handler, as its one store read (store.ProductDetails) brings the
// whole page at once.

// listQuery is a list's filter as read from the query: the store's filter,
// the parameters in use (kept in the pager's links) and why a parameter was
// refused, filed under its name.
type listQuery[F any] struct {
	filter F
	keep   url.Values
	errs   views.FormErrors
}

// list is one list page as its handler describes it.
type list[F, T any] struct {
	query listQuery[F]
	page  views.Page
	path  string                                                                        // the list's path, the base of its pager links
	csv   func(f F) error                                                               // the CSV export of every row the filter matches
	read  func(ctx context.Context, f F, page store.PageRequest) (store.Page[T], error) // one page of rows
	// show builds the results (the fragment htmx swaps) and the whole page
	// around them; reads that only the whole page needs go in later.
	show func(rows store.Page[T], pager views.Pager) (results, whole templ.Component)
}

// listPage answers a list page, or its CSV export.
func listPage[F, T any](h *Handler, c echo.Context, l list[F, T]) error {
	if wantsCSV(c) {
		return l.csv(l.query.filter)
	}
	rows, err := l.read(c.Request().Context(), l.query.filter, pageRequest(c))
	if err != nil {
		return err
	}
	results, whole := l.show(rows, views.NewPager(l.path, l.query.keep, rows))
	return h.render(c, l.query.status(), l.page, whole, results)
}

// later is a component built when it is rendered: the reads that only the
// whole page needs are skipped when render sends the fragment alone. render
// buffers, so a failed read still becomes a proper error response.
func later(build func() (templ.Component, error)) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		comp, err := build()
		if err != nil {
			return err
		}
		return comp.Render(ctx, w)
	})
}

// pageRequest reads the keyset cursors of a list page.
func pageRequest(c echo.Context) store.PageRequest {
	return store.PageRequest{After: c.QueryParam("after"), Before: c.QueryParam("before")}
}

// status is the list's answer: 422 while a filter was refused, else 200.
func (q listQuery[F]) status() int {
	if q.errs.Any() {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

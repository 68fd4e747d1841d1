package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/views"
)

// CSV exports are bounded (docs/SECURITY.md, "Resource limits"): a person
// runs a few at once, the instance a fraction of its connection pool's worth,
// and each for a limited time. The rows go to a spool file before the client
// gets any (csv.go), so a client who reads slowly holds no database
// connection while it waits.
const (
	defaultExportsPerUser = 2
	defaultExportTimeout  = 10 * time.Minute
)

// exportLimits counts the CSV exports running on this instance.
type exportLimits struct {
	routes   map[string]bool // the routes that export (routes.go), as echo names them
	perUser  int
	total    int
	timeout  time.Duration
	mu       sync.Mutex
	running  map[int64]int // by user id
	inFlight int
}

// newExportLimits sizes the limits; total 0 means a quarter of the pool.
func newExportLimits(perUser, total, poolSize int, timeout time.Duration) *exportLimits {
	if perUser <= 0 {
		perUser = defaultExportsPerUser
	}
	if total <= 0 {
		total = max(2, poolSize/4)
	}
	if timeout <= 0 {
		timeout = defaultExportTimeout
	}
	return &exportLimits{routes: map[string]bool{}, perUser: perUser, total: total, timeout: timeout, running: map[int64]int{}}
}

// exports tells whether the request is a CSV export of a route that exports.
func (l *exportLimits) exports(c echo.Context) bool { return wantsCSV(c) && l.routes[c.Path()] }

// acquire takes one of the user's and one of the instance's export slots,
// or says why there is none (429); release gives them back.
func (l *exportLimits) acquire(ctx context.Context, userID int64) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.running[userID] >= l.perUser:
		return nil, echo.NewHTTPError(http.StatusTooManyRequests,
			views.Tn(ctx, "errors.refusal.downloads_running", l.perUser))
	case l.inFlight >= l.total:
		return nil, echo.NewHTTPError(http.StatusTooManyRequests, views.T(ctx, "errors.refusal.downloads_busy"))
	}
	l.running[userID]++
	l.inFlight++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.running[userID]--; l.running[userID] == 0 {
			delete(l.running, userID)
		}
		l.inFlight--
	}, nil
}

// limitExports is the middleware of every route that exports: a CSV export
// runs only within the limits. One that fails after its first row is cut
// off, so the client sees a broken download rather than a short file.
func (h *Handler) limitExports(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.exports.exports(c) {
			return next(c)
		}
		release, err := h.exports.acquire(c.Request().Context(), currentViewer(c).user.ID)
		if err != nil {
			c.Response().Header().Set("Retry-After", "30")
			return err
		}
		defer release()
		if err := next(c); err != nil {
			if c.Response().Committed {
				h.log.Warn("handlers: CSV export cut short", "request_id", requestID(c), "path", c.Request().URL.Path, "err", err)
				panic(http.ErrAbortHandler)
			}
			// Nothing sent yet: the error page is not a download.
			c.Response().Header().Del(echo.HeaderContentDisposition)
			c.Response().Header().Del(echo.HeaderContentType)
			return err
		}
		return nil
	}
}

// exporting marks a route as one that exports (?format=csv) and returns it.
func (h *Handler) exporting(r *echo.Route) *echo.Route {
	h.exports.routes[r.Path] = true
	return r
}

package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// wantsCSV tells whether a list was asked for as a CSV export (?format=csv).
func wantsCSV(c echo.Context) bool { return c.QueryParam("format") == "csv" }

// csvStream writes a CSV download row by row as the store yields rows, so an
// export of a million rows never sits in memory. Each row passes through
// csvSafe.
type csvStream struct {
	w     *csv.Writer
	resp  *echo.Response
	n     int
	until time.Time // the export's deadline (deadline.go); zero: none
}

// startCSV prepares the headers of a CSV download named filename and its
// header row; they go out with the first rows.
func startCSV(c echo.Context, filename string, header ...string) (*csvStream, error) {
	r := c.Response()
	r.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	r.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	r.Header().Set("Cache-Control", "no-store")
	// No status yet: the first rows decide it, so that an export whose first
	// page fails still answers with an error (csv_export.go).
	s := &csvStream{w: csv.NewWriter(r), resp: r}
	s.until, _ = c.Request().Context().Deadline()
	s.extendDeadline()
	return s, s.Row(header...)
}

// csvWriteWindow is how long the client has to take each thousand rows.
const csvWriteWindow = 30 * time.Second

// extendDeadline moves the connection's write deadline (the server's write
// timeout) forward as the download proceeds: the timeout stops a client
// that stalls, not an export of a million rows that takes longer than it.
// It never passes the export's own deadline, so that a write blocked on a
// client who stopped reading ends then too.
func (s *csvStream) extendDeadline() {
	until := time.Now().Add(csvWriteWindow)
	if !s.until.IsZero() && s.until.Before(until) {
		until = s.until
	}
	http.NewResponseController(s.resp).SetWriteDeadline(until)
}

// Row writes one row, flushing to the client every thousand rows.
func (s *csvStream) Row(cells ...string) error {
	for i, cell := range cells {
		cells[i] = csvSafe(cell)
	}
	if err := s.w.Write(cells); err != nil {
		return err
	}
	if s.n++; s.n%1000 == 0 {
		s.w.Flush()
		s.extendDeadline()
		s.resp.Flush()
	}
	return s.w.Error()
}

// Close flushes what is left.
func (s *csvStream) Close() error {
	s.w.Flush()
	return s.w.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a cell that
// starts with = + - @ or a control character gets a leading apostrophe.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

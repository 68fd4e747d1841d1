package handlers

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"activation-console/views"
)

// wantsCSV tells whether a list was asked for as a CSV export (?format=csv).
func wantsCSV(c echo.Context) bool { return c.QueryParam("format") == "csv" }

// csvStream is a CSV download. The store's rows go to a spool file first and
// reach the client only once the store is done: the export's transaction
// and its database connection last as long as the database takes to read
// the rows, never as long as a slow client takes to download them, and an
// export that fails half-way still answers with an error page instead of a
// short file (docs/SECURITY.md, "Resource limits"). The spool is unlinked
// as soon as it is made, so nothing is left on disk, even after a crash;
// memory stays flat whatever the size. A file of up to csvChunk bytes (a
// chart's CSV, a short list) stays in memory and makes no file (csvSpool).
// Each row passes through csvSafe.
type csvStream struct {
	spool *csvSpool
	buf   *bufio.Writer
	resp  *echo.Response
	until time.Time // the export's deadline (deadline.go); zero: none
}

// csvSpool keeps a CSV file's first csvChunk bytes in memory and, once it
// grows past them, all of it in an unlinked temporary file: creating,
// unlinking and reading back a file cost a chart's CSV about half a
// millisecond of its few.
type csvSpool struct {
	mem  []byte
	file *os.File
}

func (s *csvSpool) Write(p []byte) (int, error) {
	if s.file == nil && len(s.mem)+len(p) <= csvChunk {
		s.mem = append(s.mem, p...)
		return len(p), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "console-export-*.csv")
		if err != nil {
			return 0, err
		}
		os.Remove(f.Name()) // the open file lives on until Close
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			return 0, err
		}
		s.mem = nil
	}
	return s.file.Write(p)
}

// Close releases the file, if there is one.
func (s *csvSpool) Close() {
	if s.file != nil {
		s.file.Close()
	}
}

// exportCSV answers a list as the CSV export t: each yields the store's
// rows, and the file reaches the client only once it has yielded them all
// (csvStream); a read that fails gets an error page instead (csv_export.go).
// The words of the header and the cells are the views' (views/csv.go).
func exportCSV[T any](c echo.Context, filename string, t views.CSVTable[T], each func(row func(T) error) error) error {
	w, err := startCSV(c, filename, t.Header...)
	if err != nil {
		return err
	}
	if err := each(func(r T) error { return w.Row(t.Row(r)...) }); err != nil {
		w.Discard()
		return err
	}
	return w.Send()
}

// startCSV prepares a CSV download named filename with its header row.
func startCSV(c echo.Context, filename string, header ...string) (*csvStream, error) {
	r := c.Response()
	r.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	r.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	r.Header().Set("Cache-Control", "no-store")
	spool := &csvSpool{}
	s := &csvStream{spool: spool, buf: bufio.NewWriterSize(spool, csvBuffer), resp: r}
	s.until, _ = c.Request().Context().Deadline()
	if err := s.Row(header...); err != nil {
		s.Discard()
		return nil, err
	}
	return s, nil
}

// csvWriteWindow is how long the client has to take each chunk of the file.
const (
	csvWriteWindow = 30 * time.Second
	csvChunk       = 256 << 10
	csvBuffer      = 32 << 10 // rows are written to the spool in pieces of this size
)

// extendDeadline moves the connection's write deadline (the server's write
// timeout) forward as the download proceeds: the timeout stops a client
// that stalls, not a download of a million rows that takes longer than it.
// It never passes the export's own deadline, so that a write blocked on a
// client who stopped reading ends then too.
func (s *csvStream) extendDeadline() {
	until := time.Now().Add(csvWriteWindow)
	if !s.until.IsZero() && s.until.Before(until) {
		until = s.until
	}
	http.NewResponseController(s.resp).SetWriteDeadline(until)
}

// Row writes one row to the spool, each cell through csvSafe and quoted
// as encoding/csv quotes it (the same bytes), without its per-row checks
// and allocations: a million-row export writes seven million cells.
func (s *csvStream) Row(cells ...string) error {
	for i, cell := range cells {
		if i > 0 {
			s.buf.WriteByte(',')
		}
		writeCSVField(s.buf, csvSafe(cell))
	}
	return s.buf.WriteByte('\n') // a write error sticks to buf: Send reports it
}

// writeCSVField writes one field as encoding/csv's Writer does with its
// defaults: quoted when it holds a comma, a quote or a line break, starts
// with a space, or is \. , with its quotes doubled.
func writeCSVField(w *bufio.Writer, field string) {
	if !csvFieldNeedsQuotes(field) {
		w.WriteString(field)
		return
	}
	w.WriteByte('"')
	for {
		i := strings.IndexByte(field, '"')
		if i < 0 {
			break
		}
		w.WriteString(field[:i+1])
		w.WriteByte('"')
		field = field[i+1:]
	}
	w.WriteString(field)
	w.WriteByte('"')
}

func csvFieldNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` {
		return true
	}
	// A byte loop rather than strings.ContainsAny, which builds its set on
	// every call (7.5% of a million-row export's CPU profile, 2.4% after);
	// none of these bytes occurs inside a multi-byte UTF-8 sequence, so the
	// answer is the same.
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r)
}

// Send sends the spooled file to the client, a chunk at a time, and
// releases the spool.
func (s *csvStream) Send() error {
	defer s.spool.Close()
	if err := s.buf.Flush(); err != nil {
		return err
	}
	f := s.spool.file
	if f == nil {
		s.resp.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(s.spool.mem)))
		s.resp.WriteHeader(http.StatusOK)
		s.extendDeadline()
		_, err := s.resp.Write(s.spool.mem)
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.resp.Header().Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	s.resp.WriteHeader(http.StatusOK)
	chunk := make([]byte, csvChunk)
	for {
		n, err := f.Read(chunk)
		if n > 0 {
			s.extendDeadline()
			if _, werr := s.resp.Write(chunk[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Discard releases the spool of an export that failed before Send.
func (s *csvStream) Discard() { s.spool.Close() }

// csvSafe keeps a spreadsheet from running a cell as a formula: a cell that
// starts with = + - @ or a control character gets a leading apostrophe.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

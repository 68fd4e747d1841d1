package handlers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"testing"
)

// The spool's own CSV writer writes the bytes encoding/csv writes, for cells
// that need quoting and cells that do not.
func TestCSVRow_SameBytesAsEncodingCSV(t *testing.T) {
	cells := []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "cr\rhere", " lead", "\u00a0nbsp", `\.`, `\`, "'=1+1",
		"設備-1", `"`, `""`, "end,", "\t"}
	var want bytes.Buffer
	w := csv.NewWriter(&want)
	for _, c := range cells {
		w.Write([]string{c, "x"})
	}
	w.Write(cells)
	w.Flush()
	var got bytes.Buffer
	s := &csvStream{buf: bufio.NewWriter(&got)}
	for _, c := range cells {
		s.Row(c, "x")
	}
	s.Row(append([]string(nil), cells...)...)
	s.buf.Flush()
	// Row neutralises formulas first (csvSafe); encoding/csv saw the cells raw.
	var safe bytes.Buffer
	w = csv.NewWriter(&safe)
	for _, c := range cells {
		w.Write([]string{csvSafe(c), "x"})
	}
	all := make([]string, len(cells))
	for i, c := range cells {
		all[i] = csvSafe(c)
	}
	w.Write(all)
	w.Flush()
	if got.String() != safe.String() {
		t.Fatalf("rows\n got %q\nwant %q", got.String(), safe.String())
	}
	if got.String() == want.String() {
		t.Fatal("the cells that start a formula were not neutralised")
	}
}

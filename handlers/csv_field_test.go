package handlers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
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

// A short file stays in memory; a longer one moves to a file once it passes
// csvChunk bytes, and reads back whole, in order, whatever the write sizes.
func TestCSVSpool_InMemoryUntilItOutgrowsAChunk(t *testing.T) {
	for _, size := range []int{0, 100, csvChunk, csvChunk + 1, 3*csvChunk + 17} {
		var s csvSpool
		want := make([]byte, size)
		for i := range want {
			want[i] = byte('a' + i%26)
		}
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)%7919) // uneven pieces
			if _, err := s.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if (s.file != nil) != (size > csvChunk) {
			t.Errorf("%d bytes: a file %v, want one only past %d bytes", size, s.file != nil, csvChunk)
		}
		got := s.mem
		if s.file != nil {
			var err error
			if _, err = s.file.Seek(0, 0); err != nil {
				t.Fatal(err)
			}
			if got, err = io.ReadAll(s.file); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d bytes: read back %d bytes, not the same", size, len(got))
		}
		s.Close()
	}
}

package store

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Lists are paginated by keyset: a cursor holds the sort key of the row a
// page ends (or starts) at, so pages stay stable while rows are added and a
// page 1,000 pages deep costs what the first one does.

// PageSize is the rows of one page of every list.
const PageSize = 50

// Page is one page of a list in list order, with the cursors of its
// neighbours ("" when there is none): pass Prev as PageRequest.Before, Next
// as PageRequest.After.
type Page[T any] struct {
	Rows       []T
	Prev, Next string
}

// PageRequest asks for the page after or before a cursor (neither: the first page).
type PageRequest struct {
	After  string
	Before string
}

// encodeCursor packs a row's sort key into an opaque URL-safe string.
func encodeCursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor unpacks a cursor into pointers to the sort key's parts. A
// malformed cursor is an invalid request, never a server error.
func decodeCursor(cursor string, key ...any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return invalid("cursor", "err.page_link")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(key) {
		return invalid("cursor", "err.page_link")
	}
	for i := range key {
		if err := json.Unmarshal(raw[i], key[i]); err != nil {
			return invalid("cursor", "err.page_link")
		}
	}
	return nil
}

// keyset is the part of a list query that a cursor adds: the key columns,
// which way to read them, and the rows of one page put back in list order.
type keyset struct {
	columns string // e.g. "a.at, a.id": the list's sort key, unique thanks to the id
	desc    bool   // the list runs newest (largest) first
	page    PageRequest
}

// clause returns the condition and ORDER BY for the page, with the key
// values appended to args. key points at the variables decodeCursor fills.
func (k keyset) clause(args []any, key ...any) (cond, order string, outArgs []any, err error) {
	forward := k.page.Before == ""
	cursor := k.page.After
	if !forward {
		cursor = k.page.Before
	}
	dir, cmp := " ASC", ">"
	if k.desc != !forward { // reading the list's order backwards flips both
		dir, cmp = " DESC", "<"
	}
	cols := strings.Split(k.columns, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i]) + dir
	}
	order = " ORDER BY " + strings.Join(cols, ", ")
	if cursor == "" {
		return "", order, args, nil
	}
	if err := decodeCursor(cursor, key...); err != nil {
		return "", "", nil, err
	}
	marks := make([]string, len(key))
	for i, v := range key {
		args = append(args, derefKey(v))
		marks[i] = "$" + itoa(len(args))
	}
	cond = " AND (" + k.columns + ") " + cmp + " (" + strings.Join(marks, ", ") + ")"
	return cond, order, args, nil
}

// pageOf trims the PageSize+1 rows a query read to one page in list order,
// with the cursors of the pages before and after it.
func pageOf[T any](rows []T, page PageRequest, key func(T) string) Page[T] {
	backward := page.Before != ""
	more := len(rows) > PageSize
	if more {
		rows = rows[:PageSize]
	}
	if backward {
		slices.Reverse(rows)
	}
	out := Page[T]{Rows: rows}
	if len(rows) == 0 {
		return out
	}
	if (backward && more) || (!backward && page.After != "") {
		out.Prev = key(rows[0])
	}
	if (!backward && more) || backward {
		out.Next = key(rows[len(rows)-1])
	}
	return out
}

// derefKey turns a pointer filled by decodeCursor into the value to bind.
func derefKey(p any) any { return reflect.ValueOf(p).Elem().Interface() }

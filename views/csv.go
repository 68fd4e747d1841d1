package views

// The CSV exports' words: each export's column headers and how one of its
// rows reads, beside the page that shows the same list, in the viewer's
// language (locales/csv.*.yaml). Handlers only stream (handlers/csv.go);
// the words come from here and from words.go. Times stay RFC 3339 and
// numbers plain digits in every language: a CSV file is read by programs
// too.

import (
	"context"
	"strconv"
	"time"

	"activation-console/store"
)

// CSVTable is one export: its header, and the cells of a row of T.
type CSVTable[T any] struct {
	Header []string
	Row    func(T) []string
}

// csvTime is a time in the viewer's zone, as every export writes it; a time
// not yet set is an empty cell.
func csvTime(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format(time.RFC3339)
}

// autoRenewCells words a device's auto-renew cell (off means blacklisted),
// with the words looked up once per export rather than once per row.
func autoRenewCells(ctx context.Context) func(blacklisted bool) string {
	on, off := T(ctx, "csv.on"), T(ctx, "csv.off_blacklisted")
	return func(blacklisted bool) string {
		if blacklisted {
			return off
		}
		return on
	}
}

// ProductCodesCSV is the overview's product activation code list.
func ProductCodesCSV(ctx context.Context) CSVTable[store.ProductCodes] {
	// The words once per export, not once per row.
	noConsumption, on, off := T(ctx, "csv.no_consumption"), T(ctx, "csv.on"), T(ctx, "csv.off")
	return CSVTable[store.ProductCodes]{
		Header: []string{T(ctx, "csv.header.product"), T(ctx, "csv.header.product_key"), T(ctx, "csv.header.package"),
			T(ctx, "csv.header.total"), T(ctx, "csv.header.consumed"), T(ctx, "csv.header.available"),
			T(ctx, "csv.header.automatic_renewal"), T(ctx, "csv.header.runway_days")},
		Row: func(r store.ProductCodes) []string {
			pkg, runway := "", noConsumption
			if r.PackageCode != nil {
				pkg = *r.PackageCode
			}
			autoRenew := off
			if r.AutoRenew {
				autoRenew = on
			}
			if days, ok := r.RunwayDays(); ok {
				runway = strconv.FormatInt(days, 10)
			}
			return []string{r.Name, r.ProductKey, pkg, strconv.FormatInt(r.Total(), 10), strconv.FormatInt(r.Consumed, 10),
				strconv.FormatInt(r.Available, 10), autoRenew, runway}
		},
	}
}

// csvWords words a device's kind, status and outlook once per export and
// value: a row holds one of a handful of each, and a lookup in the
// viewer's language costs microseconds (the language matcher), a fifth of
// the Go time of a million-row export when it ran for every row.
type csvWords struct {
	ctx   context.Context
	words map[csvWord]string
}

type csvWord struct {
	of       byte // 'k' kind, 's' status, 'o' outlook
	key, sub string
}

func newCSVWords(ctx context.Context) *csvWords {
	return &csvWords{ctx: ctx, words: map[csvWord]string{}}
}

func (w *csvWords) word(k csvWord, text func() string) string {
	if s, ok := w.words[k]; ok {
		return s
	}
	s := text()
	w.words[k] = s
	return s
}

func (w *csvWords) kind(kind *store.ActivationKind) string {
	if kind == nil {
		return ""
	}
	return w.word(csvWord{of: 'k', key: string(*kind)}, func() string { return ActivationKindText(w.ctx, kind) })
}

func (w *csvWords) status(status store.DeviceStatus, reason *store.LapseReason) string {
	k := csvWord{of: 's', key: string(status)}
	if reason != nil {
		k.sub = string(*reason)
	}
	return w.word(k, func() string { return DeviceStatusText(w.ctx, status, reason) })
}

func (w *csvWords) outlook(outlook store.Outlook) string {
	return w.word(csvWord{of: 'o', key: string(outlook)}, func() string { return OutlookText(w.ctx, outlook) })
}

// ProductDevicesCSV is a product's device list, times in loc.
func ProductDevicesCSV(ctx context.Context, loc *time.Location) CSVTable[store.Device] {
	autoRenew := autoRenewCells(ctx)
	words := newCSVWords(ctx)
	return CSVTable[store.Device]{
		Header: []string{T(ctx, "csv.header.device_key"), T(ctx, "csv.header.activated_at"), T(ctx, "csv.header.expires_at"),
			T(ctx, "csv.header.kind"), T(ctx, "csv.header.status"), T(ctx, "csv.header.outlook"), T(ctx, "csv.header.auto_renew")},
		Row: func(d store.Device) []string {
			return []string{d.DeviceKey, csvTime(d.ActivatedAt, loc), csvTime(d.ExpiresAt, loc), words.kind(d.LastKind),
				words.status(d.Status, d.LapseReason), words.outlook(d.Outlook), autoRenew(d.Blacklisted)}
		},
	}
}

// NearExpiryCSV is the near-expiry list, times in loc and days left
// counted from now.
func NearExpiryCSV(ctx context.Context, now time.Time, loc *time.Location) CSVTable[store.Device] {
	autoRenew := autoRenewCells(ctx)
	words := newCSVWords(ctx)
	return CSVTable[store.Device]{
		Header: []string{T(ctx, "csv.header.product"), T(ctx, "csv.header.product_key"), T(ctx, "csv.header.device_key"),
			T(ctx, "csv.header.activated_at"), T(ctx, "csv.header.expires_at"), T(ctx, "csv.header.days_left"),
			T(ctx, "csv.header.outlook"), T(ctx, "csv.header.auto_renew")},
		Row: func(d store.Device) []string {
			return []string{d.ProductName, d.ProductKey, d.DeviceKey, csvTime(d.ActivatedAt, loc), csvTime(d.ExpiresAt, loc),
				strconv.Itoa(DaysLeft(*d.ExpiresAt, now, loc)), words.outlook(d.Outlook), autoRenew(d.Blacklisted)}
		},
	}
}

// AssignmentHistoryCSV is the assignment history, times in loc.
func AssignmentHistoryCSV(ctx context.Context, loc *time.Location) CSVTable[store.AssignmentRecord] {
	return CSVTable[store.AssignmentRecord]{
		Header: []string{T(ctx, "csv.header.time"), T(ctx, "csv.header.product"), T(ctx, "csv.header.product_key"),
			T(ctx, "csv.header.package"), T(ctx, "csv.header.quantity"), T(ctx, "csv.header.operator")},
		Row: func(r store.AssignmentRecord) []string {
			return []string{csvTime(&r.CreatedAt, loc), r.ProductName, r.ProductKey, r.PackageCode,
				strconv.FormatInt(r.Quantity, 10), r.Operator}
		},
	}
}

// AuditCSV is the audit log, times in loc.
func AuditCSV(ctx context.Context, loc *time.Location) CSVTable[store.AuditEntry] {
	return CSVTable[store.AuditEntry]{
		Header: []string{T(ctx, "csv.header.time"), T(ctx, "csv.header.user"), T(ctx, "csv.header.type"),
			T(ctx, "csv.header.operation"), T(ctx, "csv.header.description_text")},
		Row: func(e store.AuditEntry) []string {
			e = AuditEntryText(ctx, e, loc) // worded as the page words it
			return []string{csvTime(&e.At, loc), e.Actor, AuditTypeText(ctx, e.Type), e.Operation, e.Description}
		},
	}
}

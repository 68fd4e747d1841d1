package views

// The CSV exports' words: each export's column headers and how one of its
// rows reads, beside the page that shows the same list. Handlers only stream
// (handlers/csv.go); the words come from here and from words.go.

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

// AutoRenewCSVText is a device's auto-renew cell: off means blacklisted.
func AutoRenewCSVText(blacklisted bool) string {
	if blacklisted {
		return "off (blacklisted)"
	}
	return "on"
}

// ProductAutoRenewCSVText is a product's automatic renewal cell.
func ProductAutoRenewCSVText(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// ProductCodesCSV is the overview's product activation code list.
func ProductCodesCSV(ctx context.Context) CSVTable[store.ProductCodes] {
	return CSVTable[store.ProductCodes]{
		Header: []string{"Product", "ProductKey", "Package", "Total", "Consumed", "Available", "Automatic renewal", "Runway (days)"},
		Row: func(r store.ProductCodes) []string {
			pkg, runway := "", "no consumption"
			if r.PackageCode != nil {
				pkg = *r.PackageCode
			}
			if days, ok := r.RunwayDays(); ok {
				runway = strconv.FormatInt(days, 10)
			}
			return []string{r.Name, r.ProductKey, pkg, strconv.FormatInt(r.Total(), 10), strconv.FormatInt(r.Consumed, 10),
				strconv.FormatInt(r.Available, 10), ProductAutoRenewCSVText(r.AutoRenew), runway}
		},
	}
}

// ProductDevicesCSV is a product's device list, times in loc.
func ProductDevicesCSV(ctx context.Context, loc *time.Location) CSVTable[store.Device] {
	return CSVTable[store.Device]{
		Header: []string{"DeviceKey", "Activated at", "Expires at", "Kind", "Status", "Renewal outlook", "Auto-renew"},
		Row: func(d store.Device) []string {
			return []string{d.DeviceKey, csvTime(d.ActivatedAt, loc), csvTime(d.ExpiresAt, loc), ActivationKindText(ctx, d.LastKind),
				DeviceStatusText(ctx, d.Status, d.LapseReason), OutlookText(ctx, d.Outlook), AutoRenewCSVText(d.Blacklisted)}
		},
	}
}

// NearExpiryCSV is the near-expiry list, times in loc and days left
// counted from now.
func NearExpiryCSV(ctx context.Context, now time.Time, loc *time.Location) CSVTable[store.Device] {
	return CSVTable[store.Device]{
		Header: []string{"Product", "ProductKey", "DeviceKey", "Activated at", "Expires at", "Days left", "Renewal outlook", "Auto-renew"},
		Row: func(d store.Device) []string {
			return []string{d.ProductName, d.ProductKey, d.DeviceKey, csvTime(d.ActivatedAt, loc), csvTime(d.ExpiresAt, loc),
				strconv.Itoa(DaysLeft(*d.ExpiresAt, now, loc)), OutlookText(ctx, d.Outlook), AutoRenewCSVText(d.Blacklisted)}
		},
	}
}

// AssignmentHistoryCSV is the assignment history, times in loc.
func AssignmentHistoryCSV(ctx context.Context, loc *time.Location) CSVTable[store.AssignmentRecord] {
	return CSVTable[store.AssignmentRecord]{
		Header: []string{"Time", "Product", "ProductKey", "Package", "Quantity", "Operator"},
		Row: func(r store.AssignmentRecord) []string {
			return []string{csvTime(&r.CreatedAt, loc), r.ProductName, r.ProductKey, r.PackageCode,
				strconv.FormatInt(r.Quantity, 10), r.Operator}
		},
	}
}

// AuditCSV is the audit log, times in loc.
func AuditCSV(ctx context.Context, loc *time.Location) CSVTable[store.AuditEntry] {
	return CSVTable[store.AuditEntry]{
		Header: []string{"Time", "User", "Type", "Operation", "Description"},
		Row: func(e store.AuditEntry) []string {
			return []string{csvTime(&e.At, loc), e.Actor, AuditTypeText(ctx, e.Type), e.Operation, e.Description}
		},
	}
}

package store

// The audit log (docs/pages.md, "8. Audit log"): every change and sign-in of an account,
// newest first. Rows are append-only (the database refuses changes).

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID          int64     `db:"id"`
	At          time.Time `db:"at"`
	Actor       string    `db:"actor"`
	Type        AuditType `db:"type"`
	Operation   string    `db:"operation"`   // an AuditOperation
	Description string    `db:"description"` // in English, as written
	// Message is the description as the console's messages, for the
	// reader's language; nil for entries written before it was kept.
	Message AuditMessage `db:"message"`
}

// AuditOperation is what an audit entry records, as stored in
// audit_log.operation; views.AuditOperationText words it.
type AuditOperation string

// The audit operations.
const (
	OpAssign          AuditOperation = "assign"
	OpRenewNow        AuditOperation = "renew now"
	OpAutoRenewOn     AuditOperation = "automatic renewal on"
	OpAutoRenewOff    AuditOperation = "automatic renewal off"
	OpBlacklistAdd    AuditOperation = "blacklist add"
	OpBlacklistRemove AuditOperation = "blacklist remove"
	OpThreshold       AuditOperation = "alert threshold"
	OpRecipientAdd    AuditOperation = "recipient add"
	OpRecipientRemove AuditOperation = "recipient remove"
	OpMemberCreate    AuditOperation = "create"
	OpMemberUpdate    AuditOperation = "update"
	OpEnable          AuditOperation = "enable"
	OpDisable         AuditOperation = "disable"
	OpPasswordChange  AuditOperation = "password change"
	OpPasswordReset   AuditOperation = "password reset"
	OpSignIn          AuditOperation = "signed in"
	OpSignInFailed    AuditOperation = "sign-in failed"
	OpSupportView     AuditOperation = "support view"
	OpWebhookAdd      AuditOperation = "webhook add"
	OpWebhookUpdate   AuditOperation = "webhook update"
	OpWebhookRotate   AuditOperation = "webhook secret rotation"
	OpWebhookDelete   AuditOperation = "webhook delete"
	OpWebhookDisabled AuditOperation = "webhook disabled"
)

// AuditMessage is an entry's description as messages of the console's files
// (views/locales/audit.*.yaml), one a clause, which the log's page and CSV
// join in the reader's language. The store names the ids and gives the
// values; it cannot word them, which is the views' job.
type AuditMessage []AuditClause

// AuditClause is one message of a description: its id, its values (data,
// shown as they are), its figures and times (written the reader's way). A
// message about a number of things has that number as the figure Count,
// which picks its plural form.
type AuditClause struct {
	ID    string               `json:"id"`
	Args  map[string]string    `json:"args,omitempty"`
	Nums  map[string]int64     `json:"nums,omitempty"`
	Times map[string]time.Time `json:"times,omitempty"`
}

// clause is an AuditClause with values given in pairs: clause("id", "Product", name).
func clause(id string, args ...string) AuditClause {
	c := AuditClause{ID: id}
	for i := 0; i+1 < len(args); i += 2 {
		if c.Args == nil {
			c.Args = map[string]string{}
		}
		c.Args[args[i]] = args[i+1]
	}
	return c
}

// counting is c about n things.
func (c AuditClause) counting(n int64) AuditClause {
	c.Nums = map[string]int64{"Count": n}
	return c
}

// Value stores the message as JSON; a description without one as NULL.
func (m AuditMessage) Value() (driver.Value, error) {
	if m == nil {
		return nil, nil
	}
	buf, err := json.Marshal(m)
	return string(buf), err // text: the driver would send bytes as bytea
}

// Scan reads the message column; NULL is no message.
func (m *AuditMessage) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m = nil
		return nil
	case []byte:
		return json.Unmarshal(v, m)
	case string:
		return json.Unmarshal([]byte(v), m)
	}
	return fmt.Errorf("store: audit message: cannot scan %T", src)
}

// AuditFilter narrows the log: User matches the actor (e-mail, substring),
// Type is one of AuditTypes, the DateRange bounds the entry's time.
type AuditFilter struct {
	User string
	Type AuditType
	DateRange
}

// AuditType is the family of an audit entry, as stored in audit_log.type and
// offered by the log's type filter; views.AuditTypeText words it.
type AuditType string

// The audit types.
const (
	AuditLicense    AuditType = "license"
	AuditRenewal    AuditType = "renewal"
	AuditAlerts     AuditType = "alerts"
	AuditSubAccount AuditType = "sub-account"
	AuditSecurity   AuditType = "security"
	AuditSignIn     AuditType = "sign-in"
	AuditSupport    AuditType = "support"
	AuditWebhooks   AuditType = "webhooks"
)

// AuditTypes are the audit types in the type filter's order.
var AuditTypes = []AuditType{AuditLicense, AuditRenewal, AuditAlerts, AuditSubAccount, AuditSecurity, AuditSignIn, AuditSupport, AuditWebhooks}

func (f AuditFilter) where(accountID int64) (string, []any) {
	args := []any{accountID}
	clause := `account_id = $1`
	if u := strings.TrimSpace(f.User); u != "" {
		args = append(args, escapeLike(u))
		clause += ` AND actor ILIKE '%' || $` + itoa(len(args)) + ` || '%'`
	}
	if f.Type != "" {
		args = append(args, f.Type)
		clause += ` AND type = $` + itoa(len(args))
	}
	dates, args := f.DateRange.where("at", args)
	return clause + dates, args
}

const auditColumns = `id, at, actor, type, operation, description, message`

// AuditLog reads one page of an account's audit log, newest first.
func (s *Store) AuditLog(ctx context.Context, accountID int64, f AuditFilter, page PageRequest) (Page[AuditEntry], error) {
	where, args := f.where(accountID)
	var at time.Time
	var id int64
	ks := keyset{columns: "at, id", desc: true, page: page}
	cond, order, args, err := ks.clause(args, &at, &id)
	if err != nil {
		return Page[AuditEntry]{}, err
	}
	var rows []AuditEntry
	if err := s.reads(ctx).SelectContext(ctx, &rows, `SELECT `+auditColumns+` FROM audit_log WHERE `+where+cond+order+
		` LIMIT `+itoa(PageSize+1), args...); err != nil {
		return Page[AuditEntry]{}, err
	}
	return pageOf(rows, page, func(e AuditEntry) string { return encodeCursor(e.At, e.ID) }), nil
}

// EachAuditEntry hands fn every entry the filter matches, newest first, a
// page at a time (the CSV export).
func (s *Store) EachAuditEntry(ctx context.Context, accountID int64, f AuditFilter, fn func(AuditEntry) error) error {
	where, args := f.where(accountID)
	return eachExported(ctx, s, exportQuery[AuditEntry]{query: `SELECT ` + auditColumns + ` FROM audit_log WHERE ` + where, args: args,
		keys: []string{"at", "id"}, desc: true, keyOf: func(e AuditEntry) []any { return []any{e.At, e.ID} }}, fn)
}

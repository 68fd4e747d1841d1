package store

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// MaxRecipients is how many alert recipients an account may list besides its
// owner (docs/pages.md, "7. Alert recipients").
const MaxRecipients = 50

// MaxRecipientName is the longest name a recipient may have, in characters.
const MaxRecipientName = 100

// Recipient receives the account's resource alerts (docs/alerts.md, "Who
// receives them"). The owner is always one, listed first; the others are kept in alert_recipients.
type Recipient struct {
	ID           int64     `db:"id"` // 0 for the owner
	Name         string    `db:"name"`
	Email        string    `db:"email"`
	CreatedAt    time.Time `db:"created_at"`
	Owner        bool      `db:"owner"`
	AddedBy      *int64    `db:"added_by"`       // the user who added it; nil: the account itself
	AddedByEmail string    `db:"added_by_email"` // that user's address, "" when nil
	Reach        string    `db:"reach"`          // which products its mail may name: ReachAll, ReachChosen, ReachNone
	Language     Language  `db:"language"`       // of the mail it gets; the owner's is the owner's own choice, English until made
}

// What a recipient's alert mail may name (docs/SECURITY.md, "Tenant scope in
// alert mail"): what the user who added it may see now, evaluated at every
// digest, so a narrowed scope narrows the mail and a disabled user's
// recipients get none.
const (
	ReachAll    = "all"    // every product: the owner and the account's own rows
	ReachChosen = "chosen" // the chosen products of the sub-account that added it
	ReachNone   = "none"   // nothing: the sub-account that added it is disabled
)

// recipientReachSQL is the reach of the recipient r, its adder joined as u.
// An adder of another account (never written by the console) reaches nothing.
const recipientReachSQL = `CASE WHEN r.added_by IS NULL THEN 'all'
	WHEN u.disabled_at IS NOT NULL OR u.account_id IS DISTINCT FROM r.account_id THEN 'none'
	WHEN u.role = 'owner' OR (u.role = 'member' AND u.all_products) THEN 'all' WHEN u.role = 'member' THEN 'chosen' ELSE 'none' END`

// Recipients lists who receives an account's alerts: the owner first, then
// the others in the order they were added. There are at most
// MaxRecipients+1, so the list needs no pages.
func (s *Store) Recipients(ctx context.Context, accountID int64) ([]Recipient, error) {
	return s.RecipientsSeenBy(ctx, accountID, 0)
}

// RecipientsSeenBy lists the recipients the user may see and remove: all of
// them for the owner and a sub-account with every product, the owner and
// the ones it added itself for a sub-account with chosen products (the
// others' mails may be about products it cannot see). userID 0: all.
func (s *Store) RecipientsSeenBy(ctx context.Context, accountID, userID int64) ([]Recipient, error) {
	var rs []Recipient
	err := s.reads(ctx).SelectContext(ctx, &rs, `SELECT id, name, email, created_at, owner, added_by, added_by_email, reach, language FROM (
			SELECT 0::bigint AS id, u.name, u.email, u.created_at, true AS owner, NULL::bigint AS added_by, '' AS added_by_email, 'all' AS reach,
				coalesce(u.language, 'en') AS language
			FROM users u WHERE u.account_id = $1 AND u.role = 'owner'
			UNION ALL
			SELECT r.id, r.name, r.email, r.created_at, false, r.added_by, coalesce(u.email, ''), `+recipientReachSQL+`, r.language
			FROM alert_recipients r LEFT JOIN users u ON u.id = r.added_by
			WHERE r.account_id = $1 AND (NOT `+limitedSQL+` OR r.added_by = $2)
		) x ORDER BY owner DESC, created_at, id`, accountID, userID)
	return rs, err
}

// limitedSQL tells whether user $2 sees and removes only the recipients it
// added in account $1: anyone but the console itself ($2 = 0), support
// staff (read-only), the account's owner and its sub-accounts with every
// product. Written as the exception so that an unexpected user is limited.
const limitedSQL = `(NOT ($2::bigint = 0 OR EXISTS (SELECT 1 FROM users v WHERE v.id = $2
	AND (v.role = 'support' OR (v.account_id = $1 AND (v.role = 'owner' OR (v.role = 'member' AND v.all_products)))))))`

// RecipientInput is the person to add to the alert recipients, and who adds them.
type RecipientInput struct {
	Name     string // may be empty
	Email    string
	Language Language // of the mail they get; "" is English, the column's default
	Actor    Actor
}

// AddRecipient adds a person to an account's alert recipients. The e-mail
// must be new to the list, the owner's included, whatever its case. The
// recipient keeps the actor as its adder: its mails name only what the
// actor may see (docs/SECURITY.md, "Tenant scope in alert mail").
func (s *Store) AddRecipient(ctx context.Context, sc Scope, in RecipientInput) (Recipient, error) {
	accountID, email, actor := sc.AccountID, in.Email, in.Actor
	name := strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(name) > MaxRecipientName {
		return Recipient{}, invalid("name", "err.recipient_name_long", "Max", MaxRecipientName)
	}
	// The name goes into mail headers later: no line breaks or other controls.
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return Recipient{}, invalid("name", "err.recipient_name_control")
	}
	if strings.TrimSpace(email) == "" {
		return Recipient{}, invalid("email", "err.recipient_email_missing")
	}
	email, err := CheckEmail("email", email)
	if err != nil {
		return Recipient{}, err
	}
	if len(email) > 254 {
		return Recipient{}, invalid("email", "err.recipient_email_long", "Max", 254)
	}
	lang := English
	if in.Language != "" {
		if lang, err = CheckLanguage("language", string(in.Language)); err != nil {
			return Recipient{}, err
		}
	}
	var r Recipient
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The account's row is the lock that serialises additions, so two
		// people adding at once cannot pass the limit together.
		var ownerEmail string
		err := tx.GetContext(ctx, &ownerEmail, `SELECT coalesce((SELECT u.email FROM users u WHERE u.account_id = a.id AND u.role = 'owner'), '')
			FROM accounts a WHERE a.id = $1 FOR UPDATE OF a`, accountID)
		if err != nil {
			return notFound(err, notFoundErr(CodeUnknownAccount, "err.no_account_id", "ID", strconv.FormatInt(accountID, 10)))
		}
		if strings.EqualFold(ownerEmail, email) {
			return conflict(CodeExists, "err.recipient_is_owner", "Address", email).at("email")
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM alert_recipients WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		if n >= MaxRecipients {
			return conflict(CodeRecipientLimit, "err.recipient_limit", "Max", MaxRecipients)
		}
		err = tx.GetContext(ctx, &r, `INSERT INTO alert_recipients (account_id, name, email, created_at, added_by, language) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id, name, email, created_at, false AS owner, added_by, language`, accountID, name, email, s.Now(), actor.userID(), lang)
		if isUniqueViolation(err, "alert_recipients_email") {
			return conflict(CodeExists, "err.recipient_exists", "Address", email).at("email")
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, accountID, actor, AuditAlerts, OpRecipientAdd, "added "+describeRecipient(r)+" to the alert recipients",
			clause("audit.entry.recipient_added", "Recipient", describeRecipient(r)))
	})
	return r, err
}

// RemoveRecipientInput names the recipient to take off the list, and who does.
type RemoveRecipientInput struct {
	ID    int64
	Actor Actor
}

// RemoveRecipient takes a person off an account's alert recipients. The
// owner is not in the table, so the owner cannot be removed; a sub-account
// with chosen products removes only the recipients it added (the others are
// not on its list: not found).
func (s *Store) RemoveRecipient(ctx context.Context, sc Scope, in RemoveRecipientInput) (Recipient, error) {
	accountID, id, actor := sc.AccountID, in.ID, in.Actor
	var r Recipient
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &r, `DELETE FROM alert_recipients r WHERE r.id = $3 AND r.account_id = $1
			AND (NOT `+limitedSQL+` OR r.added_by = $2)
			RETURNING id, name, email, created_at, false AS owner, added_by, language`, accountID, actor.UserID, id)
		if err != nil {
			return notFound(err, notFoundErr(CodeUnknownRecipient, "err.no_recipient"))
		}
		return s.audit(ctx, tx, accountID, actor, AuditAlerts, OpRecipientRemove, "removed "+describeRecipient(r)+" from the alert recipients",
			clause("audit.entry.recipient_removed", "Recipient", describeRecipient(r)))
	})
	return r, err
}

// Error codes of the alert recipients.
const (
	CodeRecipientLimit   = "recipient_limit"
	CodeUnknownRecipient = "unknown_recipient"
)

func describeRecipient(r Recipient) string {
	if r.Name == "" {
		return r.Email
	}
	return r.Name + " <" + r.Email + ">"
}

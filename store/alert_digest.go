package store

// The digest (docs/alerts.md, "What raises an alert"): an account's raised alert triggers become one
// outbox mail, in the transaction that clears them, so an alert is neither
// lost nor mailed twice. A trigger waits AlertGather for others of its
// account, and each (trigger, product) goes out at most once per
// AlertThrottle: one raised again sooner waits in alert_events for its turn.
// The conditions (codes low, shortfall, devices refused) are checked again
// here, with the figures the mail shows; one that no longer holds is
// dropped.
//
// A recipient's mail names only the products the user who added it may see
// at the time of the digest (docs/SECURITY.md, "Tenant scope in alert
// mail"): recipients are grouped by what they may see, each group gets a
// mail of its own with only its products (its counts are theirs alone), and
// a group that may see none of the alerting products gets no mail.
//
// Each mail is written in its recipients' language (docs/i18n.md): the
// owner's is the owner's own choice (English until they make one), an alert
// recipient's was chosen when it was added. A group of several languages is
// split, so a digest to recipients of several languages goes once per
// language.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// AlertDigest is one account's due alerts: the content of one mail.
type AlertDigest struct {
	AccountID   int64
	AccountName string
	Threshold   int
	Recipients  []string       // the owner first, then the alert recipients who may see every product below
	Products    []ProductAlert // only products every recipient above may see
	Language    Language       // the language every recipient above reads their mail in
	At          time.Time
}

// ProductAlert is what is wrong with one product.
type ProductAlert struct {
	ProductID  int64
	ProductKey string
	Name       string
	DC         string
	DCName     string
	Package    string // its package's code; "" when it has none yet
	Available  int64
	LowCodes   bool       // available codes at or below the threshold
	Shortfall  *Shortfall // more devices due to renew than available codes
	Refused    *Refusals  // devices refused for lack of a code
	Lapsed     *Lapses    // devices lapsed for lack of a code
}

// Shortfall is a product's shortage of codes for the renewals of the next 30 days.
type Shortfall struct {
	Due        int64     // devices due to auto-renew within 30 days
	Missing    int64     // how many of them will lapse: Due - available
	FirstLapse time.Time // when the first of them expires without a code
}

// Refusals are devices refused for lack of a code.
type Refusals struct {
	Since   time.Time // the first refusal this alert is about; while devices wait, since the longest wait began
	Waiting int64     // devices waiting for a first code now
}

// Lapses are devices that lapsed for lack of a code since Since.
type Lapses struct {
	Since   time.Time
	Devices int64
}

// MailRenderer writes the mail of a digest (the views do it: the store does not render).
type MailRenderer func(AlertDigest) (Mail, error)

// DigestAlerts writes the outbox mails of each account whose raised
// triggers are due (one per group of recipients that may see the same
// products), and returns how many accounts it digested. Several console
// instances may run it at once: each account is digested by one of them.
func (s *Store) DigestAlerts(ctx context.Context, render MailRenderer) (int, error) {
	now := s.Now()
	var accounts []int64
	if err := s.db.SelectContext(ctx, &accounts, `SELECT account_id FROM alert_events
		WHERE raised_at IS NOT NULL AND (last_sent_at IS NULL OR last_sent_at <= $1)
		GROUP BY account_id HAVING min(raised_at) <= $2 ORDER BY min(raised_at) LIMIT 100`,
		now.Add(-AlertThrottle), now.Add(-AlertGather)); err != nil {
		return 0, err
	}
	queued := 0
	for _, id := range accounts {
		ok, err := s.digestAccount(ctx, id, now, render)
		if err != nil {
			return queued, fmt.Errorf("store: digest alerts of account %d: %w", id, err)
		}
		if ok {
			queued++
		}
	}
	return queued, nil
}

type raisedTrigger struct {
	ProductID int64     `db:"product_id"`
	Trigger   string    `db:"trigger"`
	RaisedAt  time.Time `db:"raised_at"`
	Lapses    int64     `db:"lapses"`
}

type digestProduct struct {
	ID        int64      `db:"id"`
	Key       string     `db:"product_key"`
	Name      string     `db:"name"`
	DC        string     `db:"dc"`
	DCName    string     `db:"dc_name"`
	Package   *string    `db:"package"`
	Available int64      `db:"available"`
	Assigned  int64      `db:"assigned"`
	AutoRenew bool       `db:"auto_renew"`
	Deleted   bool       `db:"deleted"`
	Waiting   int64      `db:"waiting"`
	WaitSince *time.Time `db:"wait_since"`
}

func (s *Store) digestAccount(ctx context.Context, accountID int64, now time.Time, render MailRenderer) (bool, error) {
	queued := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The account's row says who digests it; NO KEY UPDATE leaves the
		// ledger's inserts (which only KEY SHARE it) alone.
		d := AlertDigest{AccountID: accountID, At: now}
		err := tx.QueryRowxContext(ctx, `SELECT name, alert_threshold FROM accounts WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`,
			accountID).Scan(&d.AccountName, &d.Threshold)
		if err != nil {
			return notFound(err, nil) // another instance is digesting it
		}
		// A trigger a ledger transaction is raising at this moment is skipped,
		// not waited for: it goes out with the next digest, and the digest,
		// which never waits, can never deadlock with the ledger.
		var raised []raisedTrigger
		if err := tx.SelectContext(ctx, &raised, `SELECT product_id, trigger, raised_at, lapses FROM alert_events
			WHERE account_id = $1 AND raised_at IS NOT NULL AND (last_sent_at IS NULL OR last_sent_at <= $2)
			ORDER BY product_id, trigger FOR UPDATE SKIP LOCKED`, accountID, now.Add(-AlertThrottle)); err != nil {
			return err
		}
		if len(raised) == 0 {
			return nil // digested meanwhile
		}
		alerts, sent, err := s.productAlerts(ctx, tx, d.Threshold, raised, now)
		if err != nil {
			return err
		}
		// Every trigger read is cleared: the ones in the mail start their
		// throttle, the ones that no longer hold are simply dropped.
		if _, err := tx.ExecContext(ctx, `UPDATE alert_events e SET raised_at = NULL, lapses = 0,
				last_sent_at = CASE WHEN s.sent THEN $3 ELSE e.last_sent_at END
			FROM unnest($1::bigint[], $2::text[], $4::boolean[]) AS s(product_id, trigger, sent)
			WHERE e.product_id = s.product_id AND e.trigger = s.trigger`,
			pq.Array(column(raised, func(r raisedTrigger) int64 { return r.ProductID })),
			pq.Array(column(raised, func(r raisedTrigger) string { return r.Trigger })), now, pq.Array(sent)); err != nil {
			return err
		}
		if len(alerts) == 0 {
			return nil
		}
		recipients, err := scopedRecipients(ctx, tx, accountID)
		if err != nil {
			return err
		}
		// No valid address at all, or nobody who may see these products:
		// nobody to tell (the owner's address is checked at sign-up).
		for _, g := range groupByScope(alerts, recipients) {
			d.Products, d.Recipients, d.Language = g.products, g.to, g.lang
			mail, err := render(d)
			if err != nil {
				return err
			}
			key := digestKey(accountID, raised)
			if len(g.products) < len(alerts) {
				key += "/" + scopeKey(g.products)
			}
			if g.lang != English { // English keeps the key it had before mail had languages
				key += "/" + string(g.lang)
			}
			ids := column(g.products, func(p ProductAlert) int64 { return p.ProductID })
			if _, err := queueMail(ctx, tx, OutgoingMail{AccountID: accountID, Kind: MailKindAlert, DedupeKey: key,
				Recipients: g.to, ProductIDs: ids, Mail: mail}, now); err != nil {
				return err
			}
			queued = true
		}
		return nil
	})
	return queued, err
}

// digestGroup is the recipients that may see the same alerting products
// and read the same language.
type digestGroup struct {
	products []ProductAlert
	lang     Language
	to       []string
}

// groupByScope splits the recipients by the alerting products each may
// see and by language, in the order of the recipients (the owner's group
// first); a recipient that may see none of them is in no group.
func groupByScope(alerts []ProductAlert, recipients []scopedRecipient) []digestGroup {
	var groups []digestGroup
	index := map[string]int{}
	for _, r := range recipients {
		var seen []ProductAlert
		for _, a := range alerts {
			if r.Reach == ReachAll || (r.Reach == ReachChosen && slices.Contains(r.ProductIDs, a.ProductID)) {
				seen = append(seen, a)
			}
		}
		if len(seen) == 0 {
			continue
		}
		k := scopeKey(seen) + "/" + string(r.Language)
		i, ok := index[k]
		if !ok {
			i, index[k] = len(groups), len(groups)
			groups = append(groups, digestGroup{products: seen, lang: r.Language})
		}
		groups[i].to = append(groups[i].to, r.Email)
	}
	return groups
}

// scopeKey names a set of products (in their mail order) in a dedupe key.
func scopeKey(products []ProductAlert) string {
	h := sha256.New()
	for _, p := range products {
		fmt.Fprintf(h, "%d;", p.ProductID)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// productAlerts checks each raised trigger against the products' figures
// now. It returns the alerts to mail, by data center and name, and for each
// raised trigger whether it is in them.
func (s *Store) productAlerts(ctx context.Context, tx *sqlx.Tx, threshold int, raised []raisedTrigger, now time.Time) ([]ProductAlert, []bool, error) {
	ids := distinct(column(raised, func(r raisedTrigger) int64 { return r.ProductID }))
	var products []digestProduct
	if err := tx.SelectContext(ctx, &products, `SELECT p.id, p.product_key, p.name, p.dc, dc.name AS dc_name, k.code AS package,
			p.available, p.assigned, p.auto_renew, p.deleted_at IS NOT NULL AS deleted,
			w.waiting, w.wait_since
		FROM products p JOIN data_centers dc ON dc.code = p.dc LEFT JOIN packages k ON k.id = p.package_id
		CROSS JOIN LATERAL (SELECT count(*) AS waiting, min(d.waiting_since) AS wait_since FROM devices d
			WHERE d.product_id = p.id AND d.waiting_since IS NOT NULL AND d.deleted_at IS NULL) w
		WHERE p.id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, nil, err
	}
	byID := map[int64]*ProductAlert{}
	facts := map[int64]digestProduct{}
	for _, p := range products {
		facts[p.ID] = p
	}
	sent := make([]bool, len(raised))
	for i, r := range raised {
		p, ok := facts[r.ProductID]
		if !ok || p.Deleted {
			continue
		}
		a := byID[p.ID]
		if a == nil {
			a = &ProductAlert{ProductID: p.ID, ProductKey: p.Key, Name: p.Name, DC: p.DC, DCName: p.DCName,
				Package: deref(p.Package), Available: p.Available}
		}
		switch r.Trigger {
		case TriggerLowCodes:
			a.LowCodes = p.Assigned > 0 && p.Available <= int64(threshold)
			sent[i] = a.LowCodes
		case TriggerShortfall:
			if p.AutoRenew {
				sf, err := shortfall(ctx, tx, p, now)
				if err != nil {
					return nil, nil, err
				}
				a.Shortfall, sent[i] = sf, sf != nil
			}
		case TriggerRefused:
			// Codes assigned since: the refused devices get one when they come back.
			if p.Available == 0 {
				a.Refused, sent[i] = &Refusals{Since: r.RaisedAt, Waiting: p.Waiting}, true
				if p.WaitSince != nil {
					a.Refused.Since = *p.WaitSince
				}
			}
		case TriggerLapsed:
			if r.Lapses > 0 {
				a.Lapsed, sent[i] = &Lapses{Since: r.RaisedAt, Devices: r.Lapses}, true
			}
		}
		if sent[i] {
			byID[p.ID] = a
		}
	}
	alerts := make([]ProductAlert, 0, len(byID))
	for _, a := range byID {
		alerts = append(alerts, *a)
	}
	sort.Slice(alerts, func(i, j int) bool {
		if alerts[i].DCName != alerts[j].DCName {
			return alerts[i].DCName < alerts[j].DCName
		}
		if alerts[i].Name != alerts[j].Name {
			return alerts[i].Name < alerts[j].Name
		}
		return alerts[i].ProductID < alerts[j].ProductID
	})
	return alerts, sent, nil
}

// shortfall counts a product's renewals due within 30 days against its
// available codes (nil when they suffice), and finds the first device that
// will lapse.
func shortfall(ctx context.Context, tx *sqlx.Tx, p digestProduct, now time.Time) (*Shortfall, error) {
	var first *time.Time
	if err := tx.GetContext(ctx, &first, `SELECT (`+firstLapseSQL+`) FROM products p WHERE p.id = $2`, now, p.ID); err != nil {
		return nil, err
	}
	if first == nil {
		return nil, nil
	}
	due, err := dueToRenew(ctx, tx, []int64{p.ID}, now)
	if err != nil {
		return nil, err
	}
	sf := &Shortfall{Due: due[p.ID], Missing: due[p.ID] - p.Available, FirstLapse: *first}
	if sf.Missing < 1 { // the two counts disagree only if devices changed between them
		sf.Missing = 1
	}
	return sf, nil
}

// scopedRecipient is an address alerts go to, with what its mail may name
// and the language it is written in.
type scopedRecipient struct {
	Email      string        `db:"email"`
	Reach      string        `db:"reach"`
	ProductIDs pq.Int64Array `db:"product_ids"` // the adder's chosen products, for ReachChosen
	Language   Language      `db:"language"`
}

// scopedRecipients are the owner and the alert recipients, with the scope
// of whoever added each as it is now, and only addresses the outbox takes:
// one that is not (written before validation, or by hand in the database)
// is left out rather than stop the alert.
func scopedRecipients(ctx context.Context, q sqlx.QueryerContext, accountID int64) ([]scopedRecipient, error) {
	var all []scopedRecipient
	if err := sqlx.SelectContext(ctx, q, &all, `SELECT email, reach, product_ids, language FROM (
			SELECT u.email, 'all' AS reach, NULL::bigint[] AS product_ids, coalesce(u.language, 'en') AS language, 0 AS ord, u.id
			FROM users u WHERE u.account_id = $1 AND u.role = 'owner'
			UNION ALL SELECT r.email, `+recipientReachSQL+`,
				array(SELECT up.product_id FROM user_products up WHERE up.user_id = r.added_by ORDER BY 1), r.language, 1, r.id
			FROM alert_recipients r LEFT JOIN users u ON u.id = r.added_by WHERE r.account_id = $1
		) x ORDER BY ord, id`, accountID); err != nil {
		return nil, err
	}
	var to []scopedRecipient
	seen := map[string]bool{}
	for _, r := range all {
		if ValidMailbox(r.Email) && !seen[strings.ToLower(r.Email)] {
			seen[strings.ToLower(r.Email)] = true
			to = append(to, r)
		}
	}
	return to, nil
}

// AlertRecipients lists every address an account's alerts may go to now
// (each receives only what its adder may see).
func (s *Store) AlertRecipients(ctx context.Context, accountID int64) ([]string, error) {
	rs, err := scopedRecipients(ctx, s.db, accountID)
	return column(rs, func(r scopedRecipient) string { return r.Email }), err
}

// digestKey names a digest by the triggers it clears: an account, and each
// trigger with the moment it was raised. Two instances that read the same
// raised triggers would write the same key, and the outbox keeps one row.
func digestKey(accountID int64, raised []raisedTrigger) string {
	h := sha256.New()
	for _, r := range raised {
		fmt.Fprintf(h, "%d/%s/%d;", r.ProductID, r.Trigger, r.RaisedAt.UnixMicro())
	}
	return fmt.Sprintf("alert/%d/%s", accountID, hex.EncodeToString(h.Sum(nil))[:32])
}

func column[T, V any](rows []T, f func(T) V) []V {
	out := make([]V, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

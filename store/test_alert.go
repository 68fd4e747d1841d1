package store

// The test alert (docs/SECURITY.md, "Resource limits"): it goes only to
// addresses already on the sender's list, or the sender's own, and each user
// and each account may send a few per hour. The count is the outbox itself,
// so every console instance sees the same one.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// How many test alerts a user, and an account, may send per TestAlertWindow.
const (
	TestAlertsPerUser    = 5
	TestAlertsPerAccount = 20
	TestAlertWindow      = time.Hour
)

// MailRecipient is an address and the language of the mail it gets.
type MailRecipient struct {
	Email    string   `db:"email"`
	Language Language `db:"language"`
}

// TestAlertRecipients lists who a test alert sent by the user goes to: the
// owner and every recipient for the owner and a sub-account with every
// product; for a sub-account with chosen products, the recipients it added
// and its own address (it may not make the others' inboxes ring). A user's
// mail is in their own language, English until they choose one; a
// recipient's in the one chosen for it.
func (s *Store) TestAlertRecipients(ctx context.Context, accountID, userID int64) ([]MailRecipient, error) {
	var all []MailRecipient
	if err := s.db.SelectContext(ctx, &all, `SELECT email, language FROM (
			SELECT u.email, coalesce(u.language, 'en') AS language, 0 AS ord, u.id FROM users u WHERE u.account_id = $1
				AND (u.role = 'owner' AND NOT `+limitedSQL+` OR u.id = $2 AND `+limitedSQL+`)
			UNION ALL SELECT r.email, r.language, 1, r.id FROM alert_recipients r
			WHERE r.account_id = $1 AND (NOT `+limitedSQL+` OR r.added_by = $2)
		) x ORDER BY ord, id`, accountID, userID); err != nil {
		return nil, err
	}
	var to []MailRecipient
	seen := map[string]bool{}
	for _, r := range all {
		if ValidMailbox(r.Email) && !seen[strings.ToLower(r.Email)] {
			seen[strings.ToLower(r.Email)] = true
			to = append(to, r)
		}
	}
	return to, nil
}

// LanguageGroup is the addresses that read one language.
type LanguageGroup struct {
	Language Language
	Emails   []string
}

// ByLanguage splits recipients by the language they read: a mail to them
// goes once per language. Languages come in the order they first appear,
// addresses in theirs.
func ByLanguage(rs []MailRecipient) []LanguageGroup {
	var groups []LanguageGroup
	for _, r := range rs {
		i := slices.IndexFunc(groups, func(g LanguageGroup) bool { return g.Language == r.Language })
		if i < 0 {
			i = len(groups)
			groups = append(groups, LanguageGroup{Language: r.Language})
		}
		groups[i].Emails = append(groups[i].Emails, r.Email)
	}
	return groups
}

// QueueTestAlert writes a test alert to the outbox for the user ms[0].SentBy:
// one mail per language of its recipients, which count as one test alert
// (their keys share ms[0].DedupeKey up to a "#"). It refuses, with a
// conflict of CodeTestAlertLimit, when the user or the account has sent its
// allowance within the last TestAlertWindow.
func (s *Store) QueueTestAlert(ctx context.Context, ms ...OutgoingMail) ([]int64, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	first := ms[0]
	now := s.Now()
	var ids []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The account's row serialises the count and the insert, also across
		// console instances, so two clicks at once cannot both pass the limit.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, first.AccountID); err != nil {
			return err
		}
		var n struct {
			User    int `db:"by_user"`
			Account int `db:"by_account"`
		}
		if err := tx.GetContext(ctx, &n, `SELECT count(DISTINCT split_part(dedupe_key, '#', 1)) FILTER (WHERE sent_by = $2) AS by_user,
				count(DISTINCT split_part(dedupe_key, '#', 1)) AS by_account
			FROM outbox WHERE account_id = $1 AND kind = 'test' AND created_at > $3`,
			first.AccountID, first.SentBy, now.Add(-TestAlertWindow)); err != nil {
			return err
		}
		switch {
		case n.User >= TestAlertsPerUser:
			return conflict(CodeTestAlertLimit, "err.test_alert_user_limit", "Count", TestAlertsPerUser)
		case n.Account >= TestAlertsPerAccount:
			return conflict(CodeTestAlertLimit, "err.test_alert_account_limit", "Count", TestAlertsPerAccount)
		}
		for i, m := range ms {
			m.Kind, m.AccountID, m.SentBy = MailKindTest, first.AccountID, first.SentBy
			if i > 0 {
				m.DedupeKey = first.DedupeKey + "#" + strconv.Itoa(i)
			}
			id, err := queueMail(ctx, tx, m, now)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: queue test alert: %w", err)
	}
	return ids, nil
}

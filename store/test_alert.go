package store

// The test alert (docs/SECURITY.md, "Resource limits"): it goes only to
// addresses already on the sender's list, or the sender's own, and each user
// and each account may send a few per hour. The count is the outbox itself,
// so every console instance sees the same one.

import (
	"context"
	"fmt"
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

// TestAlertRecipients lists who a test alert sent by the user goes to: the
// owner and every recipient for the owner and a sub-account with every
// product; for a sub-account with chosen products, the recipients it added
// and its own address (it may not make the others' inboxes ring).
func (s *Store) TestAlertRecipients(ctx context.Context, accountID, userID int64) ([]string, error) {
	var all []string
	if err := s.db.SelectContext(ctx, &all, `SELECT email FROM (
			SELECT u.email, 0 AS ord, u.id FROM users u WHERE u.account_id = $1
				AND (u.role = 'owner' AND NOT `+limitedSQL+` OR u.id = $2 AND `+limitedSQL+`)
			UNION ALL SELECT r.email, 1, r.id FROM alert_recipients r
			WHERE r.account_id = $1 AND (NOT `+limitedSQL+` OR r.added_by = $2)
		) x ORDER BY ord, id`, accountID, userID); err != nil {
		return nil, err
	}
	var to []string
	seen := map[string]bool{}
	for _, a := range all {
		if ValidMailbox(a) && !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			to = append(to, a)
		}
	}
	return to, nil
}

// QueueTestAlert writes a test alert to the outbox for m.SentBy, unless the
// user or the account has sent its allowance within the last
// TestAlertWindow (a conflict with CodeTestAlertLimit).
func (s *Store) QueueTestAlert(ctx context.Context, m OutgoingMail) (int64, error) {
	m.Kind = MailKindTest
	now := s.Now()
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The account's row serialises the count and the insert, also across
		// console instances, so two clicks at once cannot both pass the limit.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, m.AccountID); err != nil {
			return err
		}
		var n struct {
			User    int `db:"by_user"`
			Account int `db:"by_account"`
		}
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FILTER (WHERE sent_by = $2) AS by_user, count(*) AS by_account
			FROM outbox WHERE account_id = $1 AND kind = 'test' AND created_at > $3`,
			m.AccountID, m.SentBy, now.Add(-TestAlertWindow)); err != nil {
			return err
		}
		switch {
		case n.User >= TestAlertsPerUser:
			return conflict(CodeTestAlertLimit, "err.test_alert_user_limit", "Count", TestAlertsPerUser)
		case n.Account >= TestAlertsPerAccount:
			return conflict(CodeTestAlertLimit, "err.test_alert_account_limit", "Count", TestAlertsPerAccount)
		}
		var err error
		id, err = queueMail(ctx, tx, m, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue test alert: %w", err)
	}
	return id, nil
}

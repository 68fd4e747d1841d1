package store

import (
	"context"
	"time"
)

// pruneBatch is how many rows one statement of the janitor deletes: each
// statement stays short and locks few rows, however much has piled up.
const pruneBatch = 1000

// PruneStats counts what one Prune deleted.
type PruneStats struct {
	Sessions       int64
	SignInFailures int64
	WebhookEvents  int64
}

// WebhookKeep is how long a delivered or failed webhook event is kept (the
// page shows the latest; a receiver that missed one has had its day of
// retries and a person's redelivery).
const WebhookKeep = 30 * 24 * time.Hour

// Prune deletes the sessions no request can use any more (signed out or
// revoked, idle longer than idle, or older than lifetime) and the sign-in
// failures the throttle no longer counts (older than its window), a batch at
// a time (docs/SECURITY.md, "Resource limits").
func (s *Store) Prune(ctx context.Context, idle, lifetime time.Duration) (PruneStats, error) {
	now := s.Now()
	var st PruneStats
	var err error
	st.Sessions, err = s.pruneBatches(ctx, `DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions
		WHERE revoked_at IS NOT NULL OR last_seen_at <= $1 OR created_at <= $2 LIMIT `+itoa(pruneBatch)+`)`, now.Add(-idle), now.Add(-lifetime))
	if err != nil {
		return st, err
	}
	st.SignInFailures, err = s.pruneBatches(ctx, `DELETE FROM sign_in_failures WHERE id IN (SELECT id FROM sign_in_failures
		WHERE at <= $1 LIMIT `+itoa(pruneBatch)+`)`, now.Add(-throttleWindow))
	if err != nil {
		return st, err
	}
	st.WebhookEvents, err = s.pruneBatches(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events
		WHERE status IN ('delivered', 'failed') AND created_at <= $1 LIMIT `+itoa(pruneBatch)+`)`, now.Add(-WebhookKeep))
	return st, err
}

// pruneBatches runs one batch's DELETE until a batch deletes less than a
// whole batch, and returns how many rows it deleted.
func (s *Store) pruneBatches(ctx context.Context, query string, args ...any) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, query, args...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		if total += n; n < pruneBatch {
			return total, nil
		}
	}
}

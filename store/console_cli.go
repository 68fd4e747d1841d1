package store

import "context"

// InvariantChecks is how many ledger invariants Verify checks, for its report.
func InvariantChecks() int { return len(invariantChecks) }

// HasAccounts tells whether any account exists: an empty database is a first run.
func (s *Store) HasAccounts(ctx context.Context) (bool, error) {
	var exists bool
	err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM accounts)`)
	return exists, err
}

package store

import "context"

// OutboxDepth counts the mails of the outbox that are not yet sent or given
// up, by status (for /metrics). The sender's partial indexes hold exactly
// these rows, so the count stays small however long the delivery log grows.
func (s *Store) OutboxDepth(ctx context.Context) (map[string]int64, error) {
	depth := map[string]int64{"queued": 0, "claimed": 0, "sending": 0}
	rows, err := s.db.QueryxContext(ctx, `SELECT status, count(*) FROM outbox
		WHERE status IN ('queued', 'claimed', 'sending') GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		depth[status] = n
	}
	return depth, rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// validOnStandby is the valid-code check of a device connect on a standby
// (docs/scaling.md, "A standby for reads"), when ctx allows it
// (StandbyReads): the connect path's first statement, run there. Only its
// "valid" is trusted, and it consumes nothing; anything else (a new device,
// an expired code, a product the standby has not seen yet) is decided again
// on the primary, so a device whose code was just renewed there is never
// refused because the standby has not replayed the renewal.
func (s *Store) validOnStandby(ctx context.Context, productKey, deviceKey, dc string, now time.Time) (ConnectResult, bool) {
	r := s.reads(ctx)
	if r.sb == nil {
		return ConnectResult{}, false
	}
	stmt, err := r.sb.fastStatement(ctx)
	var fast struct {
		deviceRow
		HasCode bool `db:"has_code"`
	}
	if err == nil {
		err = stmt.GetContext(ctx, &fast, productKey, deviceKey)
	}
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			r.retry(ctx, err)
		}
		return ConnectResult{}, false
	}
	if !fast.validAt(now) || checkDC(ctx, s.db, dc) != nil {
		return ConnectResult{}, false
	}
	return ConnectResult{Result: ResultValid, ActivatedAt: *fast.ActivatedAt, ExpiresAt: *fast.ExpiresAt}, true
}

// fastStatement prepares the valid-code check on the standby once (and
// again after a failure).
func (sb *standby) fastStatement(ctx context.Context) (*sqlx.Stmt, error) {
	sb.fastMu.Lock()
	defer sb.fastMu.Unlock()
	if sb.fast != nil {
		return sb.fast, nil
	}
	stmt, err := sb.db.PreparexContext(context.WithoutCancel(ctx), fastConnectSQL)
	if err != nil {
		return nil, err
	}
	sb.fast = stmt
	return stmt, nil
}

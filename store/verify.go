package store

import (
	"context"
	"fmt"
)

// invariantChecks are the ledger invariants (docs/codes.md, "Invariants") as
// queries that return one line per violation. Each compares the maintained counters
// with the rows that justify them.
var invariantChecks = []struct{ name, query string }{
	{"pool balance", `SELECT format('account %s, %s, package %s: purchased %s + granted %s <> unassigned %s + available %s + consumed %s + forfeited %s',
			l.account_id, l.dc, l.package_id, l.purchased, l.granted, l.unassigned, coalesce(p.available, 0), coalesce(p.consumed, 0), coalesce(p.forfeited, 0))
		FROM pools l LEFT JOIN (SELECT account_id, dc, package_id, sum(available) AS available, sum(consumed) AS consumed, sum(forfeited) AS forfeited, sum(assigned) AS assigned
			FROM products WHERE package_id IS NOT NULL GROUP BY 1, 2, 3) p USING (account_id, dc, package_id)
		WHERE l.purchased + l.granted <> l.unassigned + coalesce(p.available, 0) + coalesce(p.consumed, 0) + coalesce(p.forfeited, 0)
			OR l.assigned <> coalesce(p.assigned, 0)
			OR least(l.purchased, l.granted, l.unassigned, l.assigned) < 0`},
	{"products without a pool", `SELECT format('product %s: holds codes of package %s that no pool of account %s in %s accounts for', p.product_key, p.package_id, p.account_id, p.dc)
		FROM products p WHERE p.assigned > 0 AND NOT EXISTS (SELECT 1 FROM pools l WHERE (l.account_id, l.dc, l.package_id) = (p.account_id, p.dc, p.package_id))`},
	{"credits", `SELECT format('account %s, %s, package %s: pool says purchased %s, granted %s; credits say %s, %s',
			l.account_id, l.dc, l.package_id, l.purchased, l.granted, coalesce(c.purchased, 0), coalesce(c.granted, 0))
		FROM pools l LEFT JOIN (SELECT account_id, dc, package_id, sum(quantity) FILTER (WHERE kind = 'purchase') AS purchased,
			sum(quantity) FILTER (WHERE kind = 'grant') AS granted FROM credits GROUP BY 1, 2, 3) c USING (account_id, dc, package_id)
		WHERE l.purchased <> coalesce(c.purchased, 0) OR l.granted <> coalesce(c.granted, 0)`},
	{"product balance", `SELECT format('product %s: assigned %s <> available %s + consumed %s + forfeited %s', product_key, assigned, available, consumed, forfeited)
		FROM products WHERE assigned <> available + consumed + forfeited OR least(assigned, available, consumed, forfeited) < 0
			OR (deleted_at IS NOT NULL AND available <> 0)`},
	{"assignments", `SELECT format('product %s: assigned %s, but its assignments add up to %s', p.product_key, p.assigned, coalesce(a.total, 0))
		FROM products p LEFT JOIN (SELECT product_id, sum(quantity) AS total FROM assignments GROUP BY 1) a ON a.product_id = p.id
		WHERE p.assigned <> coalesce(a.total, 0)`},
	{"assignment packages", `SELECT format('assignment %s: package %s, but product %s has package %s', a.id, a.package_id, p.product_key, p.package_id)
		FROM assignments a JOIN products p ON p.id = a.product_id WHERE a.package_id IS DISTINCT FROM p.package_id OR a.account_id <> p.account_id OR a.dc <> p.dc`},
	{"consumption", `SELECT format('product %s: consumed %s, but its devices hold %s activations', p.product_key, p.consumed, coalesce(a.n, 0))
		FROM products p LEFT JOIN (SELECT product_id, count(*) AS n FROM activations GROUP BY 1) a ON a.product_id = p.id
		WHERE p.consumed <> coalesce(a.n, 0)`},
	{"device activations", `SELECT format('device %s of product %s: it counts %s activations ending %s; the ledger has %s ending %s',
			d.device_key, d.product_id, d.activations, d.expires_at, coalesce(a.n, 0), a.last_expiry)
		FROM devices d LEFT JOIN (SELECT device_id, count(*) AS n, max(expires_at) AS last_expiry FROM activations GROUP BY 1) a ON a.device_id = d.id
		WHERE d.activations <> coalesce(a.n, 0) OR d.expires_at IS DISTINCT FROM a.last_expiry`},
	{"overlapping activations", `SELECT format('device %s: activation %s starts at %s, before the previous one ends at %s', device_id, id, activated_at, prev_end)
		FROM (SELECT id, device_id, activated_at, lag(expires_at) OVER (PARTITION BY device_id ORDER BY activated_at, id) AS prev_end FROM activations) x
		WHERE activated_at < prev_end`},
	{"blacklist expiries", `SELECT format('blacklist entry %s of product %s: keeps expiry %s; its device, %s', b.device_key, b.product_id, b.expires_at,
			coalesce(d.expires_at::text, 'none live'))
		FROM blacklist b LEFT JOIN devices d ON d.product_id = b.product_id AND d.device_key = b.device_key AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
		WHERE b.expires_at IS DISTINCT FROM d.expires_at`},
	// The near-expiry window sums (migration 00023) are each product's folded
	// counter rows up to the day of its account's mark (the row of product 0).
	{"near-expiry window sums", `SELECT format('account %s, %s, product %s: keeps %s devices expiring up to %s; its folded counters hold %s%s',
			x.account_id, x.dc, x.product_id, coalesce(x.kept::text, 'no sum of'), coalesce(x.through, x.mark), x.n,
			CASE WHEN x.through IS NOT NULL AND x.through IS DISTINCT FROM x.mark THEN format(' (kept for %s, the account for %s)', x.through, x.mark) ELSE '' END)
		FROM (SELECT coalesce(w.account_id, k.account_id) AS account_id, coalesce(w.dc, k.dc) AS dc, coalesce(w.product_id, k.product_id) AS product_id,
				w.devices AS kept, w.through, coalesce(k.n, 0) AS n, m.through AS mark
			FROM (SELECT * FROM expiry_window_sums WHERE product_id <> 0) w FULL JOIN (
				SELECT e.account_id, e.dc, e.product_id, sum(e.devices) AS n FROM expiry_counts e
				JOIN expiry_window_sums m ON m.account_id = e.account_id AND m.dc = e.dc AND m.product_id = 0 AND e.day <= m.through
				WHERE e.compacted AND e.product_id <> 0 GROUP BY 1, 2, 3) k
			ON k.account_id = w.account_id AND k.dc = w.dc AND k.product_id = w.product_id
			LEFT JOIN expiry_window_sums m ON m.account_id = coalesce(w.account_id, k.account_id) AND m.dc = coalesce(w.dc, k.dc) AND m.product_id = 0) x
		WHERE coalesce(x.kept, 0) <> x.n OR (x.through IS NOT NULL AND x.through IS DISTINCT FROM x.mark)`},
	{"activation owners", `SELECT format('activation %s: product %s does not match device %s', a.id, a.product_id, a.device_id)
		FROM activations a JOIN devices d ON d.id = a.device_id WHERE a.product_id <> d.product_id OR a.account_id <> d.account_id`},
}

// Verify checks the ledger invariants (docs/codes.md, "Invariants") over the whole
// database, in one snapshot, and returns a line per violation.
func (s *Store) Verify(ctx context.Context) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// One snapshot for every check, so concurrent work cannot look like a violation.
	// A check of the whole database may take longer than a request's statement may.
	if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = 0`); err != nil {
		return nil, err
	}
	var violations []string
	for _, c := range invariantChecks {
		var lines []string
		if err := tx.SelectContext(ctx, &lines, c.query+` LIMIT 100`); err != nil {
			return nil, fmt.Errorf("store: verify %s: %w", c.name, err)
		}
		for _, l := range lines {
			violations = append(violations, c.name+": "+l)
		}
	}
	return violations, nil
}

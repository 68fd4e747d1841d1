package store

import "github.com/lib/pq"

// Scope is what a viewer may see: the products of one account in one data
// center, all of them or (a sub-account's scope: docs/access.md, "Rules")
// chosen ones.
// Every console query takes one and filters by all three in its WHERE clause.
// Every console write takes one too, with an input struct naming the change
// and its Actor: a product outside the scope is not found (docs/SECURITY.md,
// "Product scope on writes"). Writes to the whole account (sub-accounts,
// alert recipients, the alert threshold) use its AccountID.
type Scope struct {
	AccountID  int64
	DC         string
	ProductIDs []int64 // nil: every product of the account, including future ones
}

// productFilter is the SQL condition restricting products aliased p to the
// scope, using the argument numbers first, first+1 and first+2.
func (sc Scope) productFilter(first int) string {
	return "p.account_id = $" + itoa(first) + " AND p.dc = $" + itoa(first+1) +
		" AND ($" + itoa(first+2) + "::bigint[] IS NULL OR p.id = ANY($" + itoa(first+2) + "::bigint[]))"
}

// args are the three arguments productFilter refers to.
func (sc Scope) args() []any {
	var ids any
	if sc.ProductIDs != nil {
		ids = pq.Array(sc.ProductIDs)
	}
	return []any{sc.AccountID, sc.DC, ids}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

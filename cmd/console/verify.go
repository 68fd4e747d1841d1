package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runVerify checks the ledger invariants (docs/codes.md, "Invariants"): one line per
// violation and exit code 1 when any fails.
func runVerify(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("verify", s.errs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		violations, err := st.Verify(ctx)
		if err != nil {
			return err
		}
		if len(violations) == 0 {
			fmt.Fprintf(s.out, "ledger verified: %d checks, no violations\n", store.InvariantChecks())
			return nil
		}
		for _, v := range violations {
			fmt.Fprintln(s.out, v)
		}
		return exitError{code: exitFailure, msg: fmt.Sprintf("%d ledger violations", len(violations))}
	})
}

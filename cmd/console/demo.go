package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runDemo loads the demo data set (SPEC section 10); loading it again changes nothing.
func runDemo(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("demo", s.errs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		signIns, err := st.LoadDemo(ctx, st.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, "the demo data set is loaded; sign in with (e-mail / password):")
		for _, si := range signIns {
			fmt.Fprintf(s.out, "  %-8s %-32s %s\n", si.Role, si.Email, si.Password)
		}
		return nil
	})
}

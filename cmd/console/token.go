package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runTokenCreate creates a platform API token (SPEC section 8) and prints
// its secret, which is stored only hashed: this is the one time it is shown.
func runTokenCreate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("token create", s.errs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: console token create [flags] NAME\n\nflags:")
		fs.PrintDefaults()
	}
	names, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usagef("give the token exactly one NAME, e.g. console token create access-layer")
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		secret, err := st.CreateToken(ctx, names[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, secret)
		return nil
	})
}

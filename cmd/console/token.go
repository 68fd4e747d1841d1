package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"activation-console/store"
)

// runTokenCreate creates a platform API token (docs/api.md, "Conventions") and prints
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

// runTokenList prints every platform API token with when it was created,
// last used and revoked; never a secret, which the console does not keep.
func runTokenList(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("token list", s.errs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		tokens, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tCREATED\tLAST USED\tREVOKED")
		for _, t := range tokens {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Name, tokenTime(&t.CreatedAt, ""), tokenTime(t.LastUsedAt, "never"), tokenTime(t.RevokedAt, "-"))
		}
		return w.Flush()
	})
}

// tokenTime shows a time of `token list` in UTC to the minute, or none when it is nil.
func tokenTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// runTokenRevoke revokes the named token: every instance refuses it within
// seconds (docs/SECURITY.md, "API tokens").
func runTokenRevoke(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("token revoke", s.errs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: console token revoke [flags] NAME\n\nflags:")
		fs.PrintDefaults()
	}
	names, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usagef("name exactly one token to revoke, e.g. console token revoke access-layer (console token list shows them)")
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		if err := st.RevokeToken(ctx, names[0]); err != nil {
			return err
		}
		fmt.Fprintf(s.errs, "console token revoke: %q is revoked; every instance refuses it within 5 seconds\n", names[0])
		return nil
	})
}

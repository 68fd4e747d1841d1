package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runUserCreate creates a support user (SPEC section 7) and prints its id.
// Owners come with their account and sub-accounts are the owner's to create.
func runUserCreate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("user create", s.errs)
	in := store.NewUser{}
	fs.StringVar(&in.Role, "role", "", "the user's role: support")
	fs.StringVar(&in.Email, "email", "", "the e-mail to sign in with")
	fs.StringVar(&in.Password, "password", "", "the password (at least 12 characters)")
	fs.StringVar(&in.Name, "name", "", "the user's name, shown in audit logs (optional)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "role", "email", "password"); err != nil {
		return err
	}
	if in.Role != store.RoleSupport {
		return usagef("--role must be support: owners come with their account (console account create), sub-accounts are created by their owner in the console")
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		u, err := st.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, u.ID)
		return nil
	})
}

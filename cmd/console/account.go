package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runAccountCreate creates an account with its owner and free codes, and
// prints the account's id alone, for scripts.
func runAccountCreate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("account create", s.errs)
	var in store.NewAccount
	fs.StringVar(&in.Name, "name", "", "the account's name")
	fs.StringVar(&in.Type, "type", "", "enterprise or individual")
	fs.StringVar(&in.DataCenter, "data-center", "", "its home data center, e.g. eu-frankfurt")
	fs.StringVar(&in.OwnerEmail, "owner-email", "", "the owner's e-mail, used to sign in")
	password := addPasswordFlags(fs, "owner-password", "the owner's password")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "name", "type", "data-center", "owner-email"); err != nil {
		return err
	}
	var err error
	if in.OwnerPassword, err = password.read(s); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		a, err := st.CreateAccount(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, a.ID)
		return nil
	})
}

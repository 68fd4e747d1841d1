package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runUserCreate creates a support user (docs/access.md, "Roles") and prints its id.
// Owners come with their account and sub-accounts are the owner's to create.
func runUserCreate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("user create", s.errs)
	in := store.NewUser{}
	role := fs.String("role", "", "the user's role: support")
	fs.StringVar(&in.Email, "email", "", "the e-mail to sign in with")
	password := addPasswordFlags(fs, "password", "the user's password")
	fs.StringVar(&in.Name, "name", "", "the user's name, shown in audit logs (optional)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "role", "email"); err != nil {
		return err
	}
	if in.Role = store.Role(*role); in.Role != store.RoleSupport {
		return usagef("--role must be support: owners come with their account (console account create), sub-accounts are created by their owner in the console")
	}
	var err error
	if in.Password, err = password.read(s); err != nil {
		return err
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

// runUserPassword sets the password of any user, support staff and account
// owners included, and ends their sessions (docs/SECURITY.md, "Credentials").
func runUserPassword(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("user password", s.errs)
	email := fs.String("email", "", "the user's e-mail")
	password := addPasswordFlags(fs, "password", "the new password")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "email"); err != nil {
		return err
	}
	pw, err := password.read(s)
	if err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		u, err := st.SetPassword(ctx, *email, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.errs, "console user password: %s (%s) has a new password; their sessions are ended\n", u.Email, u.Role)
		return nil
	})
}

// runUserDisable stops a user from signing in and ends their sessions at once.
func runUserDisable(ctx context.Context, s streams, args []string) error {
	return runUserSwitch(ctx, s, args, "user disable", (*store.Store).DisableUser, "is disabled; their sessions are ended")
}

// runUserEnable lets a disabled user sign in again.
func runUserEnable(ctx context.Context, s streams, args []string) error {
	return runUserSwitch(ctx, s, args, "user enable", (*store.Store).EnableUser, "may sign in again")
}

// runUserSwitch runs a command that takes only --email and applies op to that user.
func runUserSwitch(ctx context.Context, s streams, args []string, name string,
	op func(*store.Store, context.Context, string) (store.User, error), done string) error {
	fs, dataDir := newFlagSet(name, s.errs)
	email := fs.String("email", "", "the user's e-mail")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "email"); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		u, err := op(st, ctx, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.errs, "console %s: %s (%s) %s\n", name, u.Email, u.Role, done)
		return nil
	})
}

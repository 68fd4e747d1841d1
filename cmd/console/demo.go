package main

import (
	"context"
	"fmt"
	"os"

	"activation-console/store"
	"activation-console/store/demo"
)

// runDemo loads the demo data set (docs/running.md, "The demo data");
// loading it again changes nothing. It refuses DATABASE_URL unless told otherwise: the demo creates a
// platform support user, who reads every account (docs/SECURITY.md, "Credentials").
func runDemo(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("demo", s.errs)
	allowURL := fs.Bool("allow-database-url", false,
		"load the demo into DATABASE_URL as well: only into a database that no customer uses")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if os.Getenv("DATABASE_URL") != "" && !*allowURL {
		return exitError{code: exitFailure, msg: "DATABASE_URL is set: the demo is for the embedded database and creates sign-ins, " +
			"one of them platform support, who reads every account. Unset DATABASE_URL (the demo goes to --data-dir), " +
			"or give --allow-database-url for a database that no customer uses."}
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		signIns, err := demo.Load(ctx, st, st.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, "The demo data set is loaded.")
		printDemoSignIns(s.out, signIns)
		return nil
	})
}

package main

import (
	"context"
	"fmt"
)

// runMigrate applies pending migrations (as every command does on opening
// the database) and says what it did.
func runMigrate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("migrate", s.errs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	d, err := openDatabase(ctx, *dataDir, s.errs)
	if err != nil {
		return err
	}
	if d.migrated == 0 {
		fmt.Fprintln(s.out, "the database schema is up to date")
	} else {
		fmt.Fprintf(s.out, "applied %d migrations\n", d.migrated)
	}
	return d.Close()
}

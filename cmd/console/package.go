package main

import (
	"context"
	"fmt"

	"activation-console/store"
)

// runPackageCreate adds a package to the catalog (docs/codes.md, "Words") and prints
// its id.
func runPackageCreate(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("package create", s.errs)
	var in store.NewPackage
	fs.StringVar(&in.Code, "code", "", "the package's short code, e.g. std-2y")
	fs.StringVar(&in.Name, "name", "", "its display name, e.g. \"Standard, 2 years\"")
	fs.StringVar(&in.Validity, "validity", "", "how long one code is valid: a number and y, mo, d, h, m or s, e.g. 5y, 12mo, 30d, 90s")
	fs.IntVar(&in.MessagesPerDay, "messages-per-day", 0, "messages per device per day, e.g. 1500")
	fs.IntVar(&in.OTAPerMonth, "ota-per-month", 1, "OTA upgrades per device per month")
	fs.IntVar(&in.StorageDays, "storage-days", 7, "log storage days")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "code", "name", "validity"); err != nil {
		return err
	}
	if in.MessagesPerDay <= 0 {
		return usagef("--messages-per-day is required and must be positive")
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		p, err := st.CreatePackage(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.out, p.ID)
		return nil
	})
}

package main

import (
	"context"
	"fmt"
	"time"

	"activation-console/store"
	"activation-console/store/demo"
)

// runSeed loads a large synthetic data set into an account for benchmarks
// (docs/running.md, "Benchmarks"): bulk, set-based, in one transaction.
func runSeed(ctx context.Context, s streams, args []string) error {
	fs, dataDir := newFlagSet("seed", s.errs)
	account := fs.String("account", "", "the account: its id or its owner's e-mail")
	devices := fs.Int("devices", 1_000_000, "how many devices to load")
	products := fs.Int("products", 2_000, "over how many products")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "account"); err != nil {
		return err
	}
	return withDatabase(ctx, *dataDir, s, func(st *store.Store) error {
		acc, err := st.FindAccount(ctx, *account)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.errs, "console: seeding %d devices over %d products into account %d (%s) in %s\n",
			*devices, *products, acc.ID, acc.Name, acc.HomeDC)
		rep, err := demo.Seed(ctx, st, demo.SeedInput{AccountID: acc.ID, Devices: *devices, Products: *products,
			Progress: func(step string, took time.Duration) {
				fmt.Fprintf(s.errs, "console:   %-20s %s\n", step, took.Round(time.Millisecond))
			}})
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "seeded account %d in %s: %d products, %d devices (%d waiting, %d lapsed, %d blacklisted), %d activations, %d assignments in %s\n",
			acc.ID, rep.DataCenter, rep.Products, rep.Devices, rep.Waiting, rep.Lapsed, rep.Blacklisted, rep.Activations, rep.Assignments,
			rep.Took.Round(time.Second))
		return nil
	})
}

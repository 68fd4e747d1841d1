package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"activation-console/store"
	"activation-console/store/embedded"
)

// database is an open, migrated store and what it runs on.
type database struct {
	store    *store.Store
	cluster  *embedded.Cluster // nil with DATABASE_URL
	migrated int               // migrations applied by this open
}

// Embedded reports whether the store runs on the embedded PostgreSQL.
func (d *database) Embedded() bool { return d.cluster != nil }

// Close closes the pool and releases the embedded cluster, which stops when
// no other console process on the data directory still uses it.
func (d *database) Close() error {
	err := d.store.Close()
	if d.cluster != nil {
		err = errors.Join(err, d.cluster.Stop())
	}
	return err
}

// openDatabase opens DATABASE_URL when set, else the embedded PostgreSQL in
// dataDir (started if needed), and applies pending migrations. Progress goes
// to stderr so that stdout carries only a command's result.
func openDatabase(ctx context.Context, dataDir string, stderr io.Writer, opts ...store.Option) (*database, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "console: "+format+"\n", args...) }
	url, err := databaseURL()
	if err != nil {
		return nil, err
	}
	d := &database{}
	if url == "" {
		if d.cluster, err = embedded.Start(ctx, embedded.Options{DataDir: dataDir, Logf: logf}); err != nil {
			return nil, err
		}
		// The role "console": it owns the database and runs the migrations
		// but is no superuser (docs/SECURITY.md, "The embedded database").
		url = d.cluster.URL()
	}
	if d.store, err = store.Open(ctx, url, opts...); err != nil {
		if d.cluster != nil {
			err = errors.Join(err, d.cluster.Stop())
		}
		return nil, err
	}
	if d.migrated, err = d.store.Migrate(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	if d.migrated > 0 {
		logf("applied %d migrations", d.migrated)
	}
	return d, nil
}

// withDatabase runs fn on the database of a one-off command and closes it.
func withDatabase(ctx context.Context, dataDir string, s streams, fn func(st *store.Store) error) error {
	d, err := openDatabase(ctx, dataDir, s.errs, store.WithPoolSize(4))
	if err != nil {
		return err
	}
	err = fn(d.store)
	return errors.Join(err, d.Close())
}

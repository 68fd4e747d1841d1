// Command bench measures the console at scale (`task bench`): it creates a
// fresh database on a PostgreSQL server, seeds a large account with
// `console seed`, starts `console serve` and measures every page under 8
// concurrent users beside the raw time of the same SQL, the connect API
// beside pgbench on the same server, the renewal worker, a CSV export of a
// million rows and the console's resident memory. It prints one Markdown
// table. Nothing here is a test: it asserts no duration, it reports them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	adminURL    string // a server and a database to connect to first; the bench creates its own
	devices     int
	products    int
	csvDevices  int
	renewals    int
	users       int
	clients     int
	pageTime    time.Duration
	connectTime time.Duration
	pgbenchTime time.Duration
	scale       int
	keep        bool
	reuse       string // a database kept by an earlier run (--keep): skip the seeding
	phases      string // which measurements to run
	out         string
	plans       string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseConfig(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("DATABASE_URL")
	if def == "" {
		def = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	fs.StringVar(&cfg.adminURL, "database-url", def, "a superuser connection to the server to measure (it creates and drops its own databases) [DATABASE_URL]")
	fs.IntVar(&cfg.devices, "devices", 1_000_000, "devices of the large account")
	fs.IntVar(&cfg.products, "products", 2_000, "products of the large account")
	fs.IntVar(&cfg.csvDevices, "csv-devices", 1_000_000, "devices of the one product whose list is exported as CSV")
	fs.IntVar(&cfg.renewals, "renewals", 100_000, "simultaneous expiries for the renewal worker")
	fs.IntVar(&cfg.users, "users", 8, "concurrent users on the pages")
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent clients of the connect API and pgbench")
	fs.DurationVar(&cfg.pageTime, "page-time", 8*time.Second, "how long each page is measured")
	fs.DurationVar(&cfg.connectTime, "connect-time", 20*time.Second, "how long each connect run and pgbench run")
	fs.IntVar(&cfg.scale, "pgbench-scale", 10, "pgbench -i scale")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the databases afterwards")
	fs.StringVar(&cfg.reuse, "reuse", "", "measure a database an earlier run kept (--keep) instead of seeding a new one")
	fs.StringVar(&cfg.out, "out", "", "also write the table to this file")
	fs.StringVar(&cfg.plans, "plans", filepath.Join(os.TempDir(), "console-bench-plans.txt"), "write the slowest statement's plan of each page here")
	fs.StringVar(&cfg.phases, "phases", "pages,connect,standby,export,renewal", "the measurements to run, comma-separated (standby: the pages and valid connects again with their reads on a streaming standby of the server)")
	quick := fs.Bool("quick", false, "a smoke run on a small data set (20,000 devices, short runs)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if *quick {
		cfg.devices, cfg.products, cfg.csvDevices, cfg.renewals = 20_000, 100, 20_000, 2_000
		cfg.pageTime, cfg.connectTime, cfg.scale = time.Second, 3*time.Second, 1
	}
	return cfg, nil
}

// ran tells whether the measurement name is among the phases to run.
func (c config) ran(name string) bool { return strings.Contains(","+c.phases+",", ","+name+",") }

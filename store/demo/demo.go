// Package demo loads the demo data set and the benchmark seed: whole data
// sets written with set-based SQL through the store's BulkLoad, kept out of
// the production store package.
package demo

// The demo data set (docs/running.md, "The demo data"): one enterprise
// account with three years of history, built in one transaction with set-based SQL (demo_sql.go).
// Every counter is computed from the rows it summarises, so the ledger
// invariants hold by construction.

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"activation-console/store"
)

// SignIn is one person who can sign in to the demo account.
type SignIn struct {
	Role  store.Role
	Email string
	// Password is generated at random by the load that created the person
	// and returned only then; the database keeps its hash alone. It is ""
	// afterwards, and for a support user who existed before the load.
	Password string
}

// SignIns are the demo's sign-ins: the owner, a sub-account and a support user.
type SignIns []SignIn

// HavePasswords tells whether these sign-ins come from the load that created
// them, the one time their passwords can be shown.
func (d SignIns) HavePasswords() bool {
	for _, si := range d {
		if si.Password != "" {
			return true
		}
	}
	return false
}

// The demo's people. Their passwords are drawn at each load, never known in
// advance: the support user reads every account (docs/SECURITY.md, "Credentials").
var demoPeople = SignIns{
	{Role: store.RoleOwner, Email: "owner@acme-devices.example"},
	{Role: store.RoleMember, Email: "ops@acme-devices.example"},
	{Role: store.RoleSupport, Email: "support@iot-platform.example"},
}

// demoPasswordAlphabet has 32 symbols, none easily mistaken for another
// (no i, l, o, u), so a byte's low five bits pick one without bias.
const demoPasswordAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newDemoPassword draws a password of 100 random bits, written as four
// groups of five symbols to be easy to copy by hand.
func newDemoPassword() string {
	raw := make([]byte, 20)
	rand.Read(raw) // never fails (crypto/rand)
	out := make([]byte, 0, 23)
	for i, b := range raw {
		if i > 0 && i%5 == 0 {
			out = append(out, '-')
		}
		out = append(out, demoPasswordAlphabet[b&31])
	}
	return string(out)
}

const demoAccountName = "Acme Devices GmbH"

// demoProduct describes one product of the demo and the story of its devices.
// Times are days before the load.
type demoProduct struct {
	DC, Key, Name, Package string // Package "" leaves the product without codes
	Prefix                 string // of its DeviceKeys
	Devices                int    // activated devices
	Waiting                int    // devices refused for lack of a code
	LaunchDays             int    // first devices connected this long ago
	Available              int    // available codes left after the history
	AutoRenewOffDays       int    // automatic renewal turned off this long ago; 0: on
	BlacklistRate          float64
	DeletedRate            float64
	NoCodeFrom, NoCodeTo   int // the product had no code in this window: renewals in it lapsed
}

var demoProducts = []demoProduct{
	{DC: "eu-frankfurt", Key: "acme-thermo-t3", Name: "Smart Thermostat T3", Package: "std-1y", Prefix: "T3",
		Devices: 12000, LaunchDays: 1090, Available: 1840, BlacklistRate: 0.004, DeletedRate: 0.006},
	{DC: "eu-frankfurt", Key: "acme-wm200", Name: "Water Meter WM-200", Package: "std-5y", Prefix: "WM200",
		Devices: 9000, LaunchDays: 1060, Available: 1200, DeletedRate: 0.003},
	{DC: "eu-frankfurt", Key: "acme-aq1", Name: "Air Quality Sensor AQ-1", Package: "std-1y", Prefix: "AQ1",
		Devices: 6000, LaunchDays: 900, Available: 420, AutoRenewOffDays: 150},
	{DC: "eu-frankfurt", Key: "acme-doorlock-dl5", Name: "Door Lock DL-5", Package: "std-1y", Prefix: "DL5",
		Devices: 5500, LaunchDays: 800, Available: 650, BlacklistRate: 0.06, DeletedRate: 0.004},
	{DC: "eu-frankfurt", Key: "acme-parking-ps9", Name: "Parking Sensor PS-9", Package: "std-1y", Prefix: "PS9",
		Devices: 4200, LaunchDays: 700, Available: 7, NoCodeFrom: 80, NoCodeTo: 55},
	{DC: "eu-frankfurt", Key: "acme-fleet-ft4g", Name: "Fleet Tracker FT-4G", Package: "std-1y", Prefix: "FT4G",
		Devices: 3200, LaunchDays: 500, Available: 300, BlacklistRate: 0.01, DeletedRate: 0.01},
	{DC: "eu-frankfurt", Key: "acme-plug-sp10", Name: "Smart Plug SP-10", Prefix: "SP10",
		Waiting: 140, LaunchDays: 12},
	{DC: "cn-shanghai", Key: "acme-cn-thermo-t3", Name: "Smart Thermostat T3 (China)", Package: "std-1y", Prefix: "CNT3",
		Devices: 600, LaunchDays: 620, Available: 90},
	{DC: "cn-shanghai", Key: "acme-cn-wm200", Name: "Water Meter WM-200 (China)", Package: "std-5y", Prefix: "CNWM200",
		Devices: 400, LaunchDays: 540, Available: 60},
	{DC: "cn-shanghai", Key: "acme-cn-ft4g", Name: "Fleet Tracker FT-4G (China)", Package: "std-1y", Prefix: "CNFT4G",
		Devices: 250, LaunchDays: 300, Available: 25, DeletedRate: 0.02},
}

// demoUnassigned are the codes left in the account's pools after the history.
var demoUnassigned = []struct {
	DC, Package string
	Quantity    int
}{
	{"eu-frankfurt", "std-1y", 2350},
	{"eu-frankfurt", "std-5y", 900},
	{"cn-shanghai", "std-1y", 120},
}

// demoAccountDays is the account's age; the member joined later.
const (
	demoAccountDays = 1110
	demoMemberDays  = 540
)

// demoLock serialises concurrent loads (two `console demo` at once).
const demoLock = 727002

// Load loads the demo data set (docs/running.md, "The demo data") as
// seen at now, unless the demo account exists already. Either way it returns the demo's sign-ins,
// with the passwords it generated for the people it created: show them now,
// they are not kept.
func Load(ctx context.Context, s *store.Store, now time.Time) (SignIns, error) {
	now = now.UTC().Truncate(time.Microsecond)
	signIns := append(SignIns(nil), demoPeople...)
	err := s.BulkLoad(ctx, func(tx *sqlx.Tx) error {
		// Interval arithmetic in UTC, so a year added twice lands where two years do;
		// no JIT, whose compile time dwarfs these statements' run time; no statement
		// timeout: a one-off load on a slow machine may take longer than a request may.
		if _, err := tx.ExecContext(ctx, `SET LOCAL TimeZone = 'UTC'; SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, demoLock); err != nil {
			return err
		}
		exists, err := demoExists(ctx, tx)
		if err != nil || exists {
			return err
		}
		return loadDemo(ctx, tx, now, signIns)
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return signIns, nil
}

// SignInsIfLoaded returns the demo's sign-ins, without passwords, when
// the demo account exists.
func SignInsIfLoaded(ctx context.Context, s *store.Store) (SignIns, bool, error) {
	exists, err := demoExists(ctx, s.DB())
	if err != nil || !exists {
		return nil, false, err
	}
	return append(SignIns(nil), demoPeople...), true, nil
}

func demoExists(ctx context.Context, q sqlx.QueryerContext) (bool, error) {
	var exists bool
	err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1) AND role = 'owner')`,
		demoPeople[0].Email)
	return exists, err
}

// loadDemo builds the demo and sets the password of each person it creates
// in signIns (owner, member, support, in that order).
func loadDemo(ctx context.Context, tx *sqlx.Tx, now time.Time, signIns SignIns) error {
	days := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	signIns[0].Password, signIns[1].Password = newDemoPassword(), newDemoPassword()
	owner, member, support := signIns[0], signIns[1], signIns[2]
	var account int64
	if err := tx.GetContext(ctx, &account, `INSERT INTO accounts (name, type, home_dc, created_at) VALUES ($1, 'enterprise', 'eu-frankfurt', $2) RETURNING id`,
		demoAccountName, days(demoAccountDays)); err != nil {
		return err
	}
	people := []struct {
		in      store.NewUser
		created time.Time
	}{
		{store.NewUser{AccountID: account, Role: store.RoleOwner, Email: owner.Email, Name: "Anna Schmidt", Password: owner.Password}, days(demoAccountDays)},
		{store.NewUser{AccountID: account, Role: store.RoleMember, Email: member.Email, Name: "Jonas Weber", Password: member.Password, ManageLicenses: true}, days(demoMemberDays)},
	}
	for _, p := range people {
		if err := insertDemoUser(ctx, tx, p.in, p.created); err != nil {
			return err
		}
	}
	// Support staff belong to the platform: one may exist already under this e-mail.
	var supportExists bool
	if err := tx.GetContext(ctx, &supportExists, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))`, support.Email); err != nil {
		return err
	}
	if !supportExists {
		signIns[2].Password = newDemoPassword()
		if err := insertDemoUser(ctx, tx, store.NewUser{Role: store.RoleSupport, Email: support.Email, Name: "Platform Support", Password: signIns[2].Password}, days(demoAccountDays)); err != nil {
			return err
		}
	}
	if err := store.GrantFreeCodes(ctx, tx, account, "enterprise", "eu-frankfurt"); err != nil {
		return err
	}
	if err := insertDemoProducts(ctx, tx, account, now); err != nil {
		return err
	}
	for _, step := range demoSteps {
		if _, err := tx.ExecContext(ctx, step.query, step.args(account, now)...); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return nil
}

func insertDemoUser(ctx context.Context, tx *sqlx.Tx, in store.NewUser, created time.Time) error {
	id, err := store.InsertUser(ctx, tx, in)
	if err != nil {
		return err
	}
	// The account's people work in Frankfurt; support staff keep UTC.
	_, err = tx.ExecContext(ctx, `UPDATE users SET created_at = $2,
		time_zone = CASE WHEN account_id IS NULL THEN time_zone ELSE 'Europe/Berlin' END WHERE id = $1`, id, created)
	return err
}

// demoProductsTable holds the stories of the products whose devices the
// set-based steps build (the demo's, and the benchmark seed's in seed.go).
const demoProductsTable = `CREATE TEMP TABLE demo_products (
	product_id bigint PRIMARY KEY, dc text, prefix text, key_base bigint, devices int, waiting int,
	launched_at timestamptz, validity interval, target_available bigint, auto_off_at timestamptz,
	blacklist_rate float8, deleted_rate float8, nocode_from timestamptz, nocode_to timestamptz) ON COMMIT DROP`

// insertDemoProducts creates the products and the temporary table
// demo_products that carries their stories into the set-based steps.
func insertDemoProducts(ctx context.Context, tx *sqlx.Tx, account int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, demoProductsTable); err != nil {
		return err
	}
	at := func(days int) *time.Time {
		if days == 0 {
			return nil
		}
		t := now.Add(-time.Duration(days) * 24 * time.Hour)
		return &t
	}
	for i, p := range demoProducts {
		launched := *at(p.LaunchDays)
		var pkg *string
		if p.Package != "" {
			pkg = &p.Package
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO products (account_id, dc, product_key, name, package_id, auto_renew, created_at)
			VALUES ($1, $2, $3, $4, (SELECT id FROM packages WHERE code = $5), $6, $7) RETURNING id`,
			account, p.DC, p.Key, p.Name, pkg, p.AutoRenewOffDays == 0, launched.Add(-5*24*time.Hour)); err != nil {
			return fmt.Errorf("product %s: %w", p.Key, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO demo_products VALUES ($1, $2, $3, $4, $5, $6, $7,
			(SELECT validity FROM packages WHERE code = $8), $9, $10, $11, $12, $13, $14)`,
			id, p.DC, p.Prefix, int64(i+1)*0x100000, p.Devices, p.Waiting, launched, pkg, p.Available,
			at(p.AutoRenewOffDays), p.BlacklistRate, p.DeletedRate, at(p.NoCodeFrom), at(p.NoCodeTo)); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE demo_unassigned (dc text, package_id bigint, quantity bigint) ON COMMIT DROP`)
	for _, u := range demoUnassigned {
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO demo_unassigned SELECT $1, id, $3 FROM packages WHERE code = $2`, u.DC, u.Package, u.Quantity)
	}
	return err
}

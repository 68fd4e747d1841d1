package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"activation-console/store"
)

// The fixture's account and its people: every test that needs "an account"
// gets this one, so that tests read alike.
const (
	// HomeDC is the fixture account's home data center.
	HomeDC = "eu-frankfurt"
	// OwnerEmail and OwnerPassword sign in as the fixture account's owner.
	OwnerEmail    = "owner@acme.example"
	OwnerPassword = "correct horse battery"
	// MemberPassword is the password of every sub-account and support user
	// the options create.
	MemberPassword = "member long password"
)

// Epoch is where the fixture's clock starts unless WithClockAt says otherwise.
var Epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// Fixture is a store on a fresh database of its own whose clock the test
// controls, with an enterprise account "Acme" (owner OwnerEmail, home HomeDC,
// the free grant of 10 std-1y codes there) and whatever the options add to it.
type Fixture struct {
	Store *store.Store
	URL   string // the database's connection string, for a second connection beside the store
	Clock *Clock
	Ctx   context.Context

	Account  store.Account            // zero with WithoutAccount
	Product  store.Product            // the first product WithProduct created
	Products map[string]store.Product // every product created through the fixture, by key
	Members  map[string]store.Member  // every sub-account created through the fixture, by email
	Token    string                   // the API token WithToken created
}

// Option shapes a Fixture.
type Option func(*config)

type config struct {
	start     time.Time
	storeOpts []store.Option
	noAccount bool
	steps     []func(testing.TB, *Fixture)
	pair      *Pair
	maxLag    time.Duration
}

// WithClockAt starts the fixture's clock at t instead of Epoch.
func WithClockAt(t time.Time) Option { return func(c *config) { c.start = t } }

// WithStoreOptions opens the store with these options besides its clock and
// a pool of 20 connections (a later WithPoolSize overrides it).
func WithStoreOptions(opts ...store.Option) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, opts...) }
}

// OnPair builds the fixture on the primary of p (migrating it) instead of a
// fresh database, with p's standby for the reads that may go to one, allowed
// to lag maxLag.
func OnPair(p *Pair, maxLag time.Duration) Option {
	return func(c *config) { c.pair, c.maxLag = p, maxLag }
}

// WithoutAccount leaves the database without an account; the other options
// then have nothing to add to.
func WithoutAccount() Option { return func(c *config) { c.noAccount = true } }

// WithProduct adds a product of the account in HomeDC; with codes > 0 an
// order "o-<key>" of that many std-1y codes is bought for it.
func WithProduct(key, name string, codes int64) Option {
	return step(func(t testing.TB, f *Fixture) { f.AddProduct(t, f.Account.ID, key, name, codes) })
}

// WithSubAccount adds a sub-account (password MemberPassword, named by the
// part of its email before "@") that manages licenses when manage is true and
// sees the products of productKeys, or every product when none is given.
// The products must have been added by an earlier option.
func WithSubAccount(email string, manage bool, productKeys ...string) Option {
	return step(func(t testing.TB, f *Fixture) { f.AddSubAccount(t, f.Account.ID, email, manage, productKeys...) })
}

// WithSupport adds a support user of the platform (password MemberPassword).
func WithSupport(email string) Option {
	return step(func(t testing.TB, f *Fixture) {
		t.Helper()
		if _, err := f.Store.CreateUser(f.Ctx, store.NewUser{Role: store.RoleSupport, Email: email, Password: MemberPassword}); err != nil {
			t.Fatalf("storetest: support user %s: %v", email, err)
		}
	})
}

// WithToken creates an API token of the platform, named name, in Fixture.Token.
func WithToken(name string) Option {
	return step(func(t testing.TB, f *Fixture) {
		t.Helper()
		token, err := f.Store.CreateToken(f.Ctx, name)
		if err != nil {
			t.Fatalf("storetest: token: %v", err)
		}
		f.Token = token
	})
}

func step(s func(testing.TB, *Fixture)) Option {
	return func(c *config) { c.steps = append(c.steps, s) }
}

// NewFixture builds the fixture: a fresh database (NewDatabase), the store on
// it, the account, then the options' additions in the order given.
func NewFixture(t testing.TB, opts ...Option) *Fixture {
	t.Helper()
	c := config{start: Epoch}
	for _, o := range opts {
		o(&c)
	}
	f := &Fixture{Clock: NewClock(c.start), Ctx: context.Background(),
		Products: map[string]store.Product{}, Members: map[string]store.Member{}}
	storeOpts := append([]store.Option{store.WithPoolSize(20), store.WithClock(f.Clock.Now)}, c.storeOpts...)
	if c.pair != nil {
		f.URL = c.pair.PrimaryURL
		storeOpts = append(storeOpts, store.WithStandbys([]string{c.pair.StandbyURL}, c.maxLag, nil))
	} else {
		f.URL = NewDatabase(t)
	}
	st, err := store.Open(f.Ctx, f.URL, storeOpts...)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if c.pair != nil {
		if _, err := st.Migrate(f.Ctx); err != nil {
			t.Fatalf("storetest: migrate: %v", err)
		}
	}
	f.Store = st
	if !c.noAccount {
		f.Account = f.AddAccount(t, "Acme", OwnerEmail)
	}
	for _, s := range c.steps {
		s(t, f)
	}
	return f
}

// AddAccount creates another enterprise account, home HomeDC, whose owner
// signs in with ownerEmail and OwnerPassword.
func (f *Fixture) AddAccount(t testing.TB, name, ownerEmail string) store.Account {
	t.Helper()
	a, err := f.Store.CreateAccount(f.Ctx, store.NewAccount{Name: name, Type: "enterprise", DataCenter: HomeDC,
		OwnerEmail: ownerEmail, OwnerPassword: OwnerPassword})
	if err != nil {
		t.Fatalf("storetest: account %s: %v", name, err)
	}
	return a
}

// AddProduct creates a product of account accountID in HomeDC, as WithProduct
// does for the fixture's account.
func (f *Fixture) AddProduct(t testing.TB, accountID int64, key, name string, codes int64) store.Product {
	t.Helper()
	p, err := f.Store.CreateProduct(f.Ctx, store.Scope{AccountID: accountID, DC: HomeDC}, store.ProductInput{ProductKey: key, Name: name})
	if err != nil {
		t.Fatalf("storetest: product %s: %v", key, err)
	}
	if codes > 0 {
		if _, _, err := f.Store.Purchase(f.Ctx, store.PurchaseOrder{OrderNo: "o-" + key, AccountID: accountID, DataCenter: HomeDC,
			PackageCode: "std-1y", Quantity: codes, ProductKey: key}); err != nil {
			t.Fatalf("storetest: codes for %s: %v", key, err)
		}
	}
	f.Products[key] = p
	if f.Product.ID == 0 && accountID == f.Account.ID {
		f.Product = p
	}
	return p
}

// AddSubAccount creates a sub-account of account accountID, as
// WithSubAccount does for the fixture's account; the owner is the actor.
func (f *Fixture) AddSubAccount(t testing.TB, accountID int64, email string, manage bool, productKeys ...string) store.Member {
	t.Helper()
	in := store.MemberInput{Actor: store.SystemActor(OwnerEmail), Name: strings.Split(email, "@")[0], Email: email,
		Password: MemberPassword, ManageLicenses: manage, AllProducts: len(productKeys) == 0}
	for _, k := range productKeys {
		p, err := f.Store.ProductByKey(f.Ctx, k)
		if err != nil {
			t.Fatalf("storetest: sub-account %s: product %s: %v", email, k, err)
		}
		in.ProductIDs = append(in.ProductIDs, p.ID)
	}
	m, err := f.Store.CreateMember(f.Ctx, store.Scope{AccountID: accountID}, in)
	if err != nil {
		t.Fatalf("storetest: sub-account %s: %v", email, err)
	}
	f.Members[email] = m
	return m
}

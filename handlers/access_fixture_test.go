package handlers_test

import (
	"strconv"
	"strings"
	"testing"

	"activation-console/store"
)

// accessFixture is an enterprise account with two products (P1 in a
// limited sub-account's scope, P2 outside it), a device on each, a
// recipient, sub-accounts of every kind, a support user, and a second
// account B whose ids must stay out of A's reach.
type accessFixture struct {
	*consoleFixture
	p1, p2         store.Product
	d1, d2         store.Device
	recipientID    int64
	targetMemberID int64 // a sub-account the owner edits in the matrix
	b              store.Account
	bProduct       store.Product
	bDevice        store.Device
	bRecipientID   int64
	bMemberID      int64
}

const memberPassword = "member long password"

func newAccessFixture(t testing.TB) *accessFixture {
	t.Helper()
	f := &accessFixture{consoleFixture: newConsole(t)}
	st, ctx := f.st, f.ctx
	owner := store.Actor{Name: "owner@acme.example"}
	mustProduct := func(acc int64, pk, name string) store.Product {
		p, err := st.CreateProduct(ctx, acc, "eu-frankfurt", pk, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Purchase(ctx, store.PurchaseOrder{OrderNo: "o-" + pk, AccountID: acc, DataCenter: "eu-frankfurt",
			PackageCode: "std-1y", Quantity: 5, ProductKey: pk}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mustDevice := func(pk, dk string) store.Device {
		if _, err := st.Connect(ctx, pk, dk, "eu-frankfurt"); err != nil {
			t.Fatal(err)
		}
		d, err := st.DeviceByKey(ctx, pk, dk)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	member := func(acc int64, email string, manage, all bool, products ...int64) int64 {
		m, err := st.CreateMember(ctx, store.Scope{AccountID: acc},
			store.MemberInput{Actor: owner, Name: strings.Split(email, "@")[0], Email: email, Password: memberPassword,
				ManageLicenses: manage, AllProducts: all, ProductIDs: products})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	recipient := func(acc int64, email string) int64 {
		r, err := st.AddRecipient(ctx, store.Scope{AccountID: acc}, store.RecipientInput{Name: "Ops", Email: email, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	f.p1, f.p2 = mustProduct(f.account.ID, "PK-A1", "Thermostat"), mustProduct(f.account.ID, "PK-A2", "Doorbell")
	f.d1, f.d2 = mustDevice("PK-A1", "dev-a1"), mustDevice("PK-A2", "dev-a2")
	f.recipientID = recipient(f.account.ID, "ops@acme.example")
	member(f.account.ID, "manager@acme.example", true, true)
	member(f.account.ID, "viewer@acme.example", false, true)
	member(f.account.ID, "chosen@acme.example", true, false, f.p1.ID)
	f.targetMemberID = member(f.account.ID, "target@acme.example", false, true)
	if _, err := st.CreateUser(ctx, store.NewUser{Role: store.RoleSupport, Email: "help@platform.example", Password: memberPassword}); err != nil {
		t.Fatal(err)
	}
	var err error
	f.b, err = st.CreateAccount(ctx, store.NewAccount{Name: "Beta", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@beta.example", OwnerPassword: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	f.bProduct = mustProduct(f.b.ID, "PK-B1", "Beta sensor")
	f.bDevice = mustDevice("PK-B1", "dev-b1")
	f.bRecipientID = recipient(f.b.ID, "ops@beta.example")
	f.bMemberID = member(f.b.ID, "staff@beta.example", true, true)
	return f
}

// as signs in one of the fixture's roles; support opens account A.
func (f *accessFixture) as(t testing.TB, role string) *browser {
	t.Helper()
	switch role {
	case "anon":
		b := newBrowser(t, f.srv)
		return b
	case "owner":
		return f.owner(t)
	case "support":
		b := f.signIn(t, "help@platform.example", memberPassword)
		b.get("/support", false)
		if rec, _ := b.post("/support/accounts/"+strconv.FormatInt(f.account.ID, 10), nil, false); rec.Code != 303 {
			t.Fatalf("support opens the account: %d", rec.Code)
		}
		b.get("/eu-frankfurt/licenses", false)
		return b
	}
	return f.signIn(t, role+"@acme.example", memberPassword)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

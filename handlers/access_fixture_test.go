package handlers_test

import (
	"strconv"
	"testing"

	"activation-console/store"
	"activation-console/store/storetest"
)

// accessFixture is an enterprise account with two products (P1 in a
// limited sub-account's scope, P2 outside it), a device on each, a
// recipient, sub-accounts of every kind, a support user, and a second
// account B whose ids must stay out of A's reach.
type accessFixture struct {
	*consoleFixture
	p1, p2                      store.Product
	d1, d2                      store.Device
	recipientID                 int64
	targetMemberID              int64 // a sub-account the owner edits in the matrix
	webhookID                   int64 // an endpoint of the owner's, with a finished event webhookEventID
	webhookEventID              int64
	doomedWebhookID             int64 // another, which the matrix deletes
	bWebhookID, bWebhookEventID int64
	b                           store.Account
	bProduct                    store.Product
	bDevice                     store.Device
	bRecipientID                int64
	bMemberID                   int64
}

const memberPassword = storetest.MemberPassword

func newAccessFixture(t testing.TB) *accessFixture {
	t.Helper()
	f := &accessFixture{consoleFixture: newConsole(t,
		storetest.WithProduct("PK-A1", "Thermostat", 5),
		storetest.WithProduct("PK-A2", "Doorbell", 5),
		storetest.WithSubAccount("manager@acme.example", true),
		storetest.WithSubAccount("viewer@acme.example", false),
		storetest.WithSubAccount("chosen@acme.example", true, "PK-A1"),
		storetest.WithSubAccount("target@acme.example", false),
		storetest.WithSupport("help@platform.example"))}
	st, ctx := f.st, f.ctx
	owner := store.Actor{Name: "owner@acme.example"}
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
	recipient := func(acc int64, email string) int64 {
		r, err := st.AddRecipient(ctx, store.Scope{AccountID: acc}, store.RecipientInput{Name: "Ops", Email: email, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	f.p1, f.p2 = f.base.Products["PK-A1"], f.base.Products["PK-A2"]
	f.d1, f.d2 = mustDevice("PK-A1", "dev-a1"), mustDevice("PK-A2", "dev-a2")
	f.recipientID = recipient(f.account.ID, "ops@acme.example")
	f.targetMemberID = f.base.Members["target@acme.example"].ID
	endpoint := func(acc int64, url string) int64 {
		e, _, err := st.SaveWebhookEndpoint(ctx, store.Scope{AccountID: acc}, store.WebhookInput{URL: url,
			Events: []string{"device.activated"}, Enabled: true, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	// A finished event to redeliver: a test event given up.
	finished := func(acc, endpoint int64) int64 {
		id, err := st.SendTestWebhook(ctx, store.Scope{AccountID: acc}, store.WebhookRef{ID: endpoint, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `UPDATE webhook_events SET status = 'failed' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.webhookID, f.doomedWebhookID = endpoint(f.account.ID, "http://93.184.215.14/hook"), endpoint(f.account.ID, "http://93.184.215.14/doomed")
	f.webhookEventID = finished(f.account.ID, f.webhookID)
	f.b = f.base.AddAccount(t, "Beta", "owner@beta.example")
	f.bProduct = f.base.AddProduct(t, f.b.ID, "PK-B1", "Beta sensor", 5)
	f.bDevice = mustDevice("PK-B1", "dev-b1")
	f.bRecipientID = recipient(f.b.ID, "ops@beta.example")
	f.bMemberID = f.base.AddSubAccount(t, f.b.ID, "staff@beta.example", true).ID
	f.bWebhookID = endpoint(f.b.ID, "http://93.184.215.14/beta")
	f.bWebhookEventID = finished(f.b.ID, f.bWebhookID)
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

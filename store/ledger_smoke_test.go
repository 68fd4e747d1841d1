package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

func TestConnect_ActivatesRenewsAndLapses(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	r, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	if err != nil || r.Result != store.ResultActivated {
		t.Fatalf("first connect: %+v %v", r, err)
	}
	if r, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "cn-shanghai"); err != nil || r.Result != store.ResultValid {
		t.Fatalf("second connect: %+v %v", r, err)
	}
	f.clock.Advance(366 * 24 * time.Hour)
	st, err := f.st.RenewalPass(f.ctx)
	if err != nil || st.Renewed != 1 {
		t.Fatalf("pass: %+v %v", st, err)
	}
	f.clock.Advance(366 * 24 * time.Hour)
	st, err = f.st.RenewalPass(f.ctx)
	if err != nil || st.Lapsed != 1 {
		t.Fatalf("pass 2: %+v %v", st, err)
	}
	_, err = f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	if e, ok := store.AsError(err); !ok || e.Code != store.CodeExpired || e.Reason != store.ReasonNoCode {
		t.Fatalf("connect after lapse: %v", err)
	}
	verifyClean(t, f.st)
}

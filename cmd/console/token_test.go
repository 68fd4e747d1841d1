package main

import (
	"context"
	"strings"
	"testing"
)

func TestTokenListAndRevoke_ShowTokensWithoutSecretsAndStopOne(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()
	secrets := map[string]string{}
	for _, name := range []string{"access-layer", "billing"} {
		code, out, errs := console(t, "token", "create", name)
		if code != 0 {
			t.Fatalf("token create %s: exit %d, %s", name, code, errs)
		}
		secrets[name] = strings.TrimSpace(out)
	}
	if ok, err := st.CheckToken(ctx, secrets["billing"]); err != nil || !ok {
		t.Fatalf("billing's token does not work before the revocation: %v %v", ok, err)
	}

	if code, _, errs := console(t, "token", "revoke", "billing"); code != 0 {
		t.Fatalf("token revoke: exit %d, %s", code, errs)
	}
	if ok, err := st.CheckToken(ctx, secrets["billing"]); err != nil || ok {
		t.Errorf("the revoked token still passes the store's check: %v %v", ok, err)
	}
	if ok, err := st.CheckToken(ctx, secrets["access-layer"]); err != nil || !ok {
		t.Errorf("revoking billing stopped access-layer too: %v %v", ok, err)
	}

	code, out, errs := console(t, "token", "list")
	if code != 0 {
		t.Fatalf("token list: exit %d, %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("token list printed %q; want a header and two tokens", out)
	}
	for _, secret := range secrets {
		if strings.Contains(out, secret) || strings.Contains(out, strings.TrimPrefix(secret, "acc_")[:16]) {
			t.Errorf("token list shows a secret: %q", out)
		}
	}
	access, billing := strings.Fields(lines[1]), strings.Fields(lines[2])
	if access[0] != "access-layer" || access[len(access)-1] != "-" || strings.Contains(lines[1], "never") {
		t.Errorf("access-layer's line %q: want it used (by the check above) and not revoked", lines[1])
	}
	if billing[0] != "billing" || !strings.HasSuffix(lines[2], "UTC") {
		t.Errorf("billing's line %q: want it revoked, with the time", lines[2])
	}

	if code, _, errs := console(t, "token", "revoke", "billing"); code != 1 || !strings.Contains(errs, "revoked already") {
		t.Errorf("revoking twice: exit %d, %q; want 1 and a word that it is revoked already", code, errs)
	}
	if code, _, errs := console(t, "token", "revoke", "nobody"); code != 1 || !strings.Contains(errs, "no token named") {
		t.Errorf("revoking an unknown token: exit %d, %q", code, errs)
	}
	if code, _, _ := console(t, "token", "revoke"); code != 2 {
		t.Errorf("token revoke without a name: exit %d, want 2", code)
	}
}

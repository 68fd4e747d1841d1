package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"activation-console/store"
)

// A test alert to recipients of two languages is two mails, each in its
// readers' language and to their addresses only, each listing every
// address the alerts go to.
func TestSendTestAlert_OneMailPerLanguage(t *testing.T) {
	t.Parallel()
	f, smtp, sender := alertConsole(t, "mail.example.com:587 (TLS: starttls)")
	for _, email := range []string{"bob@acme.example", "wang@acme.example"} {
		if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: email, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET language = 'zh-CN' WHERE email = 'wang@acme.example'`); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	if rec, _ := b.post("/eu-frankfurt/recipients/test", nil, true); rec.Code != http.StatusOK {
		t.Fatalf("test alert: %d %s", rec.Code, rec.Body)
	}
	if st, err := sender.RunOnce(f.ctx); err != nil || st.Sent != 2 {
		t.Fatalf("sender %+v (%v), want two mails", st, err)
	}
	got := map[string]string{}
	for _, r := range smtp.WaitFor(t, 2) {
		got[strings.Join(r.To, ",")] = r.Subject
		if !strings.Contains(r.Text(), "  owner@acme.example\n  bob@acme.example\n  wang@acme.example\n") {
			t.Errorf("the mail to %v does not list every address:\n%s", r.To, r.Text())
		}
	}
	if got["owner@acme.example,bob@acme.example"] != "Test alert: activation codes of Acme" || got["wang@acme.example"] != "测试告警：Acme 的激活码" {
		t.Errorf("mails by recipients: %q", got)
	}
}

package main

import (
	"io"
	"strings"
	"testing"
)

func TestServeSettings_MailSettingsAreCheckedAtStart(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		bad  string // a word of the refusal; "" when accepted
	}{
		{env: map[string]string{"SMTP_URL": "smtp://alerts:pw@mail.example.com:587"}},
		{env: map[string]string{"SMTP_URL": "smtps://mail.example.com"}},
		{env: map[string]string{"SMTP_URL": "smtp://relay:25?tls=off", "SMTP_FROM": "Alerts <alerts@acme.example>"}},
		{env: map[string]string{"SMTP_URL": "http://mail.example.com"}, bad: "smtp://"},
		{env: map[string]string{"SMTP_URL": "smtp://relay?tls=maybe"}, bad: "tls=off"},
		{env: map[string]string{"SMTP_FROM": "alerts"}, bad: "SMTP_FROM"},
		{env: map[string]string{"SMTP_FROM": "Alerts <alerts@acme.example>\r\nBcc: x@y.example"}, bad: "SMTP_FROM"},
		{args: []string{"--public-url", "console.example.com"}, bad: "--public-url"},
		{args: []string{"--public-url", "https://console.example.com/"}},
	} {
		for _, name := range []string{"SMTP_URL", "SMTP_FROM", "CONSOLE_PUBLIC_URL"} {
			t.Setenv(name, c.env[name])
		}
		_, err := parseServeSettings(c.args, io.Discard)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%v %v: %v", c.env, c.args, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%v %v: %v, want a refusal naming %s", c.env, c.args, err, c.bad)
		case err != nil && strings.Contains(err.Error(), "pw@"):
			t.Errorf("the refusal repeats the password: %v", err)
		}
	}
}

func TestServeSettings_PublicURLDefaultsToTheListenAddress(t *testing.T) {
	t.Setenv("CONSOLE_PUBLIC_URL", "")
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080/", ":8080": "http://localhost:8080/", "0.0.0.0:9000": "http://localhost:9000/"} {
		s, err := parseServeSettings([]string{"--addr", addr}, io.Discard)
		if err != nil || s.publicURL != want {
			t.Errorf("--addr %s: public URL %q (%v), want %q", addr, s.publicURL, err, want)
		}
	}
}

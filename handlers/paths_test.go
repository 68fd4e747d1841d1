package handlers

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"

	"activation-console/handlers/routenames"
	"activation-console/views"
)

func TestURL_DataCenterFromTheRequestAndEscapedParams(t *testing.T) {
	h := New(Config{Logger: slog.New(slog.DiscardHandler)})
	e := NewServer(h)
	c := e.NewContext(httptest.NewRequest("GET", "/eu-frankfurt/licenses", nil), httptest.NewRecorder())
	c.SetParamNames("dc")
	c.SetParamValues("eu-frankfurt")
	for _, tc := range []struct {
		got, want string
	}{
		{h.url(c, routenames.Overview), "/eu-frankfurt/licenses"},
		{h.url(c, routenames.ProductDetails, int64(42)), "/eu-frankfurt/products/42"},
		{h.url(c, routenames.DeviceRenew, 7, 9), "/eu-frankfurt/products/7/devices/9/renew"},
		{h.url(c, routenames.EditMember, "a/b c?"), "/eu-frankfurt/members/a%2Fb%20c%3F"},
		{h.url(c, routenames.SignInForm), "/signin"},
		{h.url(c, routenames.Home), "/"},
		{h.url(c, routenames.OpenSupportView, 3), "/support/accounts/3"},
		{h.url(c, routenames.APIDevice, "p k", "d/k"), "/api/v1/products/p%20k/devices/d%2Fk"},
		{h.urlIn("us-virginia", routenames.Settings), "/us-virginia/settings"},
		{h.urlIn("", routenames.PasswordForm), "/account/password"},
		{views.WithQuery(h.url(c, routenames.SignInForm), url.Values{"next": {"/eu-frankfurt/audit?a=1&b=2"}}),
			"/signin?next=%2Feu-frankfurt%2Faudit%3Fa%3D1%26b%3D2"},
		{views.WithQuery(h.url(c, routenames.Audit), nil), "/eu-frankfurt/audit"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestURL_MistakesPanic(t *testing.T) {
	h := New(Config{Logger: slog.New(slog.DiscardHandler)})
	NewServer(h)
	for name, f := range map[string]func(){
		"unknown name":        func() { h.urlIn("eu-frankfurt", "no.such.route") },
		"missing data center": func() { h.urlIn("", routenames.Overview) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

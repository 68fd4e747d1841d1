package main

import (
	"io"
	"strings"
	"testing"
)

func TestServeSettings_TrustedProxiesFromFlagOrEnvironment(t *testing.T) {
	t.Setenv("CONSOLE_TRUSTED_PROXIES", "")
	s, err := parseServeSettings(nil, io.Discard)
	if err != nil || len(s.proxies) != 0 {
		t.Fatalf("default: %v, %v; want no trusted proxy", s.proxies, err)
	}
	t.Setenv("CONSOLE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.10,2001:db8::/32")
	if s, err = parseServeSettings(nil, io.Discard); err != nil || len(s.proxies) != 3 || s.proxies[1].String() != "192.0.2.10/32" {
		t.Fatalf("from the environment: %v, %v", s.proxies, err)
	}
	if s, err = parseServeSettings([]string{"--trusted-proxies", "172.16.0.0/12"}, io.Discard); err != nil || len(s.proxies) != 1 {
		t.Fatalf("the flag wins: %v, %v", s.proxies, err)
	}
	if _, err = parseServeSettings([]string{"--trusted-proxies", "10.0.0.0/8,proxy.internal"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Fatalf("a host name: %v, want a refusal naming --trusted-proxies", err)
	}
}

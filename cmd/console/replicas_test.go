package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Standbys for reads (docs/scaling.md, "A standby for reads").

func TestServeSettings_ReplicaURLs(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://console@db1:5432/console?sslmode=require")
	t.Setenv("DATABASE_REPLICA_URL", "postgres://console@db2:5432/console?sslmode=require, host=db3 dbname=console sslmode=require")
	s, err := parseServeSettings(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"postgres://console@db2:5432/console?sslmode=require", "host=db3 dbname=console sslmode=require"}
	if !reflect.DeepEqual(s.replicas, want) || s.maxLag != 5*time.Second {
		t.Errorf("replicas %q, max lag %v; want %q and the default 5s", s.replicas, s.maxLag, want)
	}
	s, err = parseServeSettings([]string{"--replica-url", "postgres://console@db4/console?sslmode=verify-full", "--replica-max-lag", "250ms"}, io.Discard)
	if err != nil || !reflect.DeepEqual(s.replicas, []string{"postgres://console@db4/console?sslmode=verify-full"}) || s.maxLag != 250*time.Millisecond {
		t.Errorf("flags: %q %v %v", s.replicas, s.maxLag, err)
	}
}

func TestServeSettings_ReplicaURLsRefused(t *testing.T) {
	for _, c := range []struct {
		name, primary, replicas, want string
	}{
		{"without sslmode", "postgres://console@db1/console?sslmode=require", "postgres://console@db2/console", "sslmode"},
		{"without a primary", "", "postgres://console@db2/console?sslmode=require", "DATABASE_URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", c.primary)
			t.Setenv("DATABASE_REPLICA_URL", c.replicas)
			if _, err := parseServeSettings(nil, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want a word about %s", err, c.want)
			}
		})
	}
	t.Setenv("CONSOLE_REPLICA_MAX_LAG", "soon")
	if _, err := parseServeSettings(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "CONSOLE_REPLICA_MAX_LAG") {
		t.Errorf("a bad max lag: %v", err)
	}
}

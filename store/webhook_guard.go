package store

// Where webhooks may go (docs/webhooks.md, "Safety"): an endpoint's URL is
// a request the console makes on a tenant's behalf, from inside the
// platform's network. Only http(s), no credentials in the URL, and no
// address in a private, loopback, link-local, unspecified, multicast,
// CGNAT or otherwise reserved range, checked when the endpoint is saved
// (every address its name resolves to) and again for the address each
// connection actually dials (Guard.Control), so a name that resolves
// elsewhere later (DNS rebinding) gains nothing. An operator setting allows
// private addresses (webhooks to the operator's own network; the tests'
// receiver on loopback).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// MaxWebhookURL is the longest endpoint URL, in bytes.
const MaxWebhookURL = 2000

// WebhookGuard decides which addresses webhooks may reach.
type WebhookGuard struct {
	// AllowPrivate lets endpoints be at any address (CONSOLE_WEBHOOKS_ALLOW_PRIVATE).
	AllowPrivate bool
	// Resolver looks names up when an endpoint is saved; nil: net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// WithWebhookGuard sets the rules of the addresses webhook endpoints may have.
func WithWebhookGuard(g WebhookGuard) Option {
	return func(s *Store) { s.webhookGuard = g }
}

// WebhookGuard is the store's rule of the addresses endpoints may have (the deliverer dials by it).
func (s *Store) WebhookGuard() WebhookGuard { return s.webhookGuard }

// reservedRanges are the ranges, besides those net/netip names, no webhook
// may reach: addresses of this network, carrier-grade NAT, IETF protocol
// assignments, benchmarking, the reserved class E and broadcast, and the
// IPv6 discard, documentation and translation prefixes (a NAT64 or 6to4
// address may lead to a private IPv4 one).
var reservedRanges = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"100::/64", "2001:db8::/32", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32"} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// ForbiddenAddr tells whether a webhook may not reach a, without the
// operator's setting: private, loopback, link-local, unspecified,
// multicast and reserved addresses, IPv4 ones also when written as IPv6
// (::ffff:10.0.0.1).
func ForbiddenAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range reservedRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// errForbiddenAddr is what a refused connection fails with.
var errForbiddenAddr = errors.New("the address is in a private or reserved range, where webhooks may not go")

// IsForbiddenAddr tells whether err is a connection Control refused.
func IsForbiddenAddr(err error) bool { return errors.Is(err, errForbiddenAddr) }

// Control is a net.Dialer's Control: it refuses a connection to a
// forbidden address, the address actually dialled, after any lookup.
func (g WebhookGuard) Control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || ForbiddenAddr(a) {
		return fmt.Errorf("webhook: %s: %w", address, errForbiddenAddr)
	}
	return nil
}

// CheckURL checks an endpoint's URL as a person typed it and returns it
// cleaned up; a refusal is an Error on the field "url".
func (g WebhookGuard) CheckURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid("url", "err.webhook_url_missing")
	}
	if len(raw) > MaxWebhookURL {
		return "", invalid("url", "err.webhook_url_long", "Max", MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "", invalid("url", "err.webhook_url_malformed")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", invalid("url", "err.webhook_url_scheme")
	}
	if u.User != nil {
		return "", invalid("url", "err.webhook_url_credentials")
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(raw, " \t\r\n") {
		return "", invalid("url", "err.webhook_url_malformed")
	}
	if u.Port() != "" {
		if _, err := netip.ParseAddrPort("0.0.0.0:" + u.Port()); err != nil {
			return "", invalid("url", "err.webhook_url_malformed")
		}
	}
	u.Fragment = ""
	if g.AllowPrivate {
		return u.String(), nil
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		return "", invalid("url", "err.webhook_url_unresolved", "Host", host)
	}
	for _, a := range addrs {
		if ForbiddenAddr(a) {
			return "", invalid("url", "err.webhook_url_private", "Host", host)
		}
	}
	return u.String(), nil
}

func (g WebhookGuard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	return r.LookupNetIP(ctx, "ip", host)
}

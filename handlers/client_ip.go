package handlers

import (
	"fmt"
	"net"
	"strings"

	"github.com/labstack/echo/v4"
)

// clientIPExtractor reads a request's client address (sign-in throttling,
// audit): the connection's peer, unless that peer is one of the trusted
// proxies, which alone may name the client in X-Forwarded-For; the address
// used is then the nearest one in that header not itself a trusted proxy
// (docs/SECURITY.md, "Behind a load balancer"). echo trusts loopback,
// link-local and private addresses by default; here nothing is trusted
// unless configured, as anyone on the same network could otherwise forge it.
func clientIPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ParseTrustedProxies reads a comma-separated list of CIDR ranges (a bare
// address stands for itself) of the proxies allowed to set X-Forwarded-For.
func ParseTrustedProxies(list string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			ip := net.ParseIP(item)
			if ip == nil {
				return nil, fmt.Errorf("handlers: trusted proxies: %q is neither an address nor a CIDR range", item)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("handlers: trusted proxies: %q is not a CIDR range like 10.0.0.0/8", item)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

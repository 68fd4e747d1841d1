package main

import (
	"testing"

	"activation-console/handlers/routenames"
)

// TestRoutePattern_IsWhatMetricsLabels: the bench finds a page's latency in
// /metrics by the route's pattern, which echo reports with the :names.
func TestRoutePattern_IsWhatMetricsLabels(t *testing.T) {
	for name, want := range map[string]string{
		routenames.ProductDetails: "/:dc/products/:id",
		routenames.Overview:       "/:dc/licenses",
		routenames.NearExpiry:     "/:dc/near-expiry",
	} {
		if got := routePattern(name); got != want {
			t.Errorf("routePattern(%s) = %q, want %q", name, got, want)
		}
	}
	if got := reverse("eu-frankfurt", routenames.ProductDetails, int64(7)); got != "/eu-frankfurt/products/7" {
		t.Errorf("product path %q", got)
	}
	if signInPath != "/signin" || metricsPath != "/metrics" || readyzPath != "/readyz" || apiPath(routenames.APIConnect) != "/api/v1/devices/connect" {
		t.Errorf("paths %q %q %q %q", signInPath, metricsPath, readyzPath, apiPath(routenames.APIConnect))
	}
}

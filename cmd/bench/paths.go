package main

import (
	"activation-console/handlers"
	"activation-console/handlers/routenames"
)

// reverse builds the console's paths from its route names (handlers/routes.go),
// as the console does, so the bench requests what the console routes.
var reverse = handlers.Reverse()

// routePattern is a data-center route's pattern as /metrics labels it
// ("/:dc/products/:id"): given no parameter past the data center, echo
// leaves the route's own :names in place.
func routePattern(name string) string { return reverse(":dc", name) }

// apiPath is the path of a call of the platform API.
func apiPath(name string) string { return reverse("", name) }

var (
	signInPath  = reverse("", routenames.SignIn)
	metricsPath = reverse("", routenames.Metrics)
	readyzPath  = reverse("", routenames.Readyz)
)

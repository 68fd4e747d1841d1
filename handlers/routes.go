package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"activation-console/static"
	"activation-console/views"
)

// NewServer builds the echo server with every route of the console and the
// platform API, grouped by who may call them.
func NewServer(h *Handler) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	// Client addresses (sign-in throttling, audit) come from the connection;
	// X-Forwarded-For only from the trusted proxies (client_ip.go).
	e.IPExtractor = h.clientIP
	e.Use(requestIDs)
	e.Use(h.measure)
	e.Use(middleware.Recover())
	e.Use(h.deadline)
	e.Use(h.secureHeaders)
	e.Use(h.limitBody) // after secureHeaders: a 413 carries them too

	// Probes, for load balancers and orchestrators.
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	// Prometheus metrics (metrics.go): no account data, not signed in.
	e.GET("/metrics", h.serveMetrics)

	// The platform API (docs/api.md): bearer service tokens.
	api := e.Group("/api/v1", h.requireToken)
	api.POST("/products", h.apiCreateProduct)
	api.GET("/products/:pk", h.apiGetProduct)
	api.DELETE("/products/:pk", h.apiDeleteProduct)
	api.POST("/purchases", h.apiPurchase)
	api.GET("/accounts/:account/licenses", h.apiLicenses)
	api.POST("/devices/connect", h.apiConnect)
	api.GET("/products/:pk/devices/:dk", h.apiGetDevice)
	api.DELETE("/products/:pk/devices/:dk", h.apiDeleteDevice)

	// Assets, named by content hash.
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	e.GET("/favicon.ico", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, static.Path("favicon.svg")) })

	// Sign-in, before there is a session.
	e.GET("/signin", h.signinForm)
	e.POST("/signin", h.signin)

	// The console (docs/pages.md): a signed-in person; every unsafe request
	// carries the session's anti-forgery token.
	app := e.Group("", h.requireSignIn, h.checkCSRF)
	app.GET("/", h.homeRedirect)
	app.GET("/switch", h.switchDC)
	app.POST("/signout", h.signout)
	// One's own password, support staff's too: outside the data centers.
	app.GET(views.PasswordPath, h.passwordForm)
	app.POST(views.PasswordPath, h.changePassword)
	// Platform support staff find an account and read it (docs/access.md, "Roles").
	app.GET("/support", h.supportSearch, h.requireSupport)
	app.POST("/support/accounts/:account", h.openSupportView, h.requireSupport)

	// Everything below shows one data center of the viewer's account. The
	// lists that also download as CSV (?format=csv) are marked exporting:
	// their downloads are capped and timed (csv_export.go).
	dc := app.Group("/:dc", h.requireDC, h.requireAccount)
	// Pages 1-3: overview, product codes, assignment history, assigning.
	h.exporting(dc.GET("/licenses", h.overview, h.limitExports))
	h.exporting(dc.GET("/licenses/history", h.assignmentHistory, h.limitExports))
	dc.GET("/licenses/unassigned", h.unassignedDialog)
	dc.GET("/assign", h.assignForm) // viewers get a notice why they cannot assign
	dc.POST("/assign", h.assign, h.requireManage)
	// Pages 4 and 6: a product, its devices, its automatic renewal.
	h.exporting(dc.GET("/products/:id", h.productDetails, h.limitExports))
	dc.POST("/products/:id/auto-renew", h.setAutoRenew, h.requireManage)
	dc.GET("/products/:id/blacklist", h.blacklistDialog)
	dc.POST("/products/:id/blacklist", h.blacklistAdd, h.requireManage)
	dc.POST("/products/:id/blacklist/remove", h.blacklistRemove, h.requireManage)
	dc.GET("/products/:id/devices/:device/history", h.activationHistory)
	dc.POST("/products/:id/devices/:device/renew", h.renewNow, h.requireManage)
	dc.POST("/products/:id/devices/:device/auto-renew", h.setDeviceAutoRenew, h.requireManage)
	// Devices whose codes expire soon (docs/pages.md, "5. Devices with near-expiry codes").
	h.exporting(dc.GET("/near-expiry", h.nearExpiry, h.limitExports))
	// Alert recipients (docs/pages.md, "7. Alert recipients"), kept by the owner and every
	// sub-account.
	dc.GET("/recipients", h.recipients)
	dc.POST("/recipients", h.addRecipient)
	dc.POST("/recipients/:id/delete", h.deleteRecipient)
	dc.POST("/recipients/test", h.sendTestAlert)
	dc.POST("/recipients/threshold", h.setAlertThreshold)
	// The viewer's own settings.
	dc.GET("/settings", h.settings)
	dc.POST("/settings", h.saveSettings)
	// The audit log (docs/pages.md, "8. Audit log"), for the owner and support staff.
	h.exporting(dc.GET("/audit", h.auditLog, h.requireOwnerOrSupport, h.limitExports))
	// Sub-accounts (docs/access.md, "Roles"), the owner's to keep.
	dc.GET("/members", h.members, h.requireOwner)
	dc.GET("/members/new", h.memberForm, h.requireOwner)
	dc.POST("/members", h.createMember, h.requireOwner)
	dc.GET("/members/:id", h.editMemberForm, h.requireOwner)
	dc.POST("/members/:id", h.updateMember, h.requireOwner)
	dc.POST("/members/:id/disable", h.disableMember, h.requireOwner)
	dc.POST("/members/:id/enable", h.enableMember, h.requireOwner)
	return e
}

package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"activation-console/handlers/routenames"
	"activation-console/static"
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
	e.Use(h.language)  // before limitBody: a 413 page speaks the person's language
	e.Use(h.limitBody) // after secureHeaders: a 413 carries them too

	// Probes, for load balancers and orchestrators.
	e.GET("/healthz", h.healthz).Name = routenames.Healthz
	e.GET("/readyz", h.readyz).Name = routenames.Readyz
	// Prometheus metrics (metrics.go): no account data, not signed in.
	e.GET("/metrics", h.serveMetrics).Name = routenames.Metrics

	// The API's contract (docs/api.md, "The contract"): no account data, so
	// no token; registered before the group, whose catch-all would ask for one.
	e.GET("/api/v1/openapi.json", h.openAPI).Name = routenames.APIOpenAPI
	// The platform API (docs/api.md): bearer service tokens.
	api := e.Group("/api/v1", h.requireToken)
	api.POST("/products", h.apiCreateProduct).Name = routenames.APICreateProduct
	api.GET("/products/:pk", h.apiGetProduct).Name = routenames.APIProduct
	api.DELETE("/products/:pk", h.apiDeleteProduct).Name = routenames.APIDeleteProduct
	api.POST("/purchases", h.apiPurchase).Name = routenames.APIPurchase
	api.GET("/accounts/:account/licenses", h.apiLicenses).Name = routenames.APILicenses
	api.POST("/devices/connect", h.apiConnect, h.deviceReads).Name = routenames.APIConnect
	api.GET("/products/:pk/devices/:dk", h.apiGetDevice).Name = routenames.APIDevice
	api.DELETE("/products/:pk/devices/:dk", h.apiDeleteDevice).Name = routenames.APIDeleteDevice

	// Assets, named by content hash.
	e.GET("/static/*", echo.WrapHandler(static.Handler())).Name = routenames.Static
	e.GET("/favicon.ico", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, static.Path("favicon.svg")) }).Name = routenames.Favicon

	// Sign-in, before there is a session.
	e.GET("/signin", h.signinForm).Name = routenames.SignInForm
	e.POST("/signin", h.signin).Name = routenames.SignIn
	e.POST("/signin/language", h.chooseSigninLanguage).Name = routenames.ChooseSigninLanguage

	// The console (docs/pages.md): a signed-in person; every unsafe request
	// carries the session's anti-forgery token. Pages may read a standby
	// (standby_reads.go).
	app := e.Group("", h.requireSignIn, h.checkCSRF, h.pageReads)
	app.GET("/", h.homeRedirect).Name = routenames.Home
	app.GET("/switch", h.switchDC).Name = routenames.SwitchDC
	app.POST("/signout", h.signout).Name = routenames.SignOut
	app.POST("/language", h.chooseLanguage).Name = routenames.ChooseLanguage
	// One's own password, support staff's too: outside the data centers.
	app.GET("/account/password", h.passwordForm).Name = routenames.PasswordForm
	app.POST("/account/password", h.changePassword).Name = routenames.ChangePassword
	// Platform support staff find an account and read it (docs/access.md, "Roles").
	app.GET("/support", h.supportSearch, h.requireSupport).Name = routenames.Support
	app.POST("/support/accounts/:account", h.openSupportView, h.requireSupport).Name = routenames.OpenSupportView

	// Everything below shows one data center of the viewer's account. The
	// lists that also download as CSV (?format=csv) are marked exporting:
	// their downloads are capped and timed (csv_export.go).
	dc := app.Group("/:dc", h.requireDC, h.requireAccount)
	// Pages 1-3: overview, product codes, assignment history, assigning.
	h.exporting(dc.GET("/licenses", h.overview, h.limitExports)).Name = routenames.Overview
	h.exporting(dc.GET("/licenses/history", h.assignmentHistory, h.limitExports)).Name = routenames.AssignmentHistory
	// The overview's chart as CSV: 26 rows from the counters, none of the list exports' limits.
	dc.GET("/licenses/forecast.csv", h.forecastCSV).Name = routenames.ForecastCSV
	dc.GET("/licenses/unassigned", h.unassignedDialog).Name = routenames.Unassigned
	dc.GET("/assign", h.assignForm).Name = routenames.AssignForm // viewers get a notice why they cannot assign
	dc.POST("/assign", h.assign, h.requireManage).Name = routenames.Assign
	// Pages 4 and 6: a product, its devices, its automatic renewal.
	h.exporting(dc.GET("/products/:id", h.productDetails, h.limitExports)).Name = routenames.ProductDetails
	dc.POST("/products/:id/auto-renew", h.setAutoRenew, h.requireManage).Name = routenames.ProductAutoRenew
	dc.GET("/products/:id/consumption.csv", h.productConsumptionCSV).Name = routenames.ProductConsumptionCSV
	dc.GET("/products/:id/blacklist", h.blacklistDialog).Name = routenames.Blacklist
	dc.POST("/products/:id/blacklist", h.blacklistAdd, h.requireManage).Name = routenames.BlacklistAdd
	dc.POST("/products/:id/blacklist/remove", h.blacklistRemove, h.requireManage).Name = routenames.BlacklistRemove
	dc.GET("/products/:id/devices/:device/history", h.activationHistory).Name = routenames.DeviceHistory
	dc.POST("/products/:id/devices/:device/renew", h.renewNow, h.requireManage).Name = routenames.DeviceRenew
	dc.POST("/products/:id/devices/:device/auto-renew", h.setDeviceAutoRenew, h.requireManage).Name = routenames.DeviceAutoRenew
	// Devices whose codes expire soon (docs/pages.md, "5. Devices with near-expiry codes").
	h.exporting(dc.GET("/near-expiry", h.nearExpiry, h.limitExports)).Name = routenames.NearExpiry
	dc.GET("/near-expiry/chart.csv", h.nearExpiryChartCSV).Name = routenames.NearExpiryChartCSV
	// Alert recipients (docs/pages.md, "7. Alert recipients"), kept by the owner and every
	// sub-account.
	dc.GET("/recipients", h.recipients).Name = routenames.Recipients
	dc.POST("/recipients", h.addRecipient).Name = routenames.AddRecipient
	dc.POST("/recipients/:id/delete", h.deleteRecipient).Name = routenames.DeleteRecipient
	dc.POST("/recipients/test", h.sendTestAlert).Name = routenames.TestAlert
	dc.POST("/recipients/threshold", h.setAlertThreshold).Name = routenames.AlertThreshold
	// Webhooks for license events (docs/webhooks.md): every person of the
	// account reads the page; the owner and sub-accounts that manage
	// licenses change endpoints.
	dc.GET("/webhooks", h.webhooks).Name = routenames.Webhooks
	dc.POST("/webhooks", h.addWebhook, h.requireManage).Name = routenames.AddWebhook
	dc.GET("/webhooks/:id", h.editWebhookForm, h.requireManage).Name = routenames.EditWebhook
	dc.POST("/webhooks/:id", h.updateWebhook, h.requireManage).Name = routenames.UpdateWebhook
	dc.POST("/webhooks/:id/enabled", h.setWebhookEnabled, h.requireManage).Name = routenames.SetWebhookEnabled
	dc.POST("/webhooks/:id/rotate", h.rotateWebhook, h.requireManage).Name = routenames.RotateWebhook
	dc.POST("/webhooks/:id/test", h.testWebhook, h.requireManage).Name = routenames.TestWebhook
	dc.POST("/webhooks/:id/delete", h.deleteWebhook, h.requireManage).Name = routenames.DeleteWebhook
	dc.POST("/webhooks/:id/events/:event/redeliver", h.redeliverWebhook, h.requireManage).Name = routenames.RedeliverWebhook
	// The viewer's own settings.
	dc.GET("/settings", h.settings).Name = routenames.Settings
	dc.POST("/settings", h.saveSettings).Name = routenames.SaveSettings
	dc.POST("/settings/language", h.saveLanguage).Name = routenames.SaveLanguage
	// The audit log (docs/pages.md, "8. Audit log"), for the owner and support staff.
	h.exporting(dc.GET("/audit", h.auditLog, h.requireOwnerOrSupport, h.limitExports)).Name = routenames.Audit
	// Sub-accounts (docs/access.md, "Roles"), the owner's to keep.
	dc.GET("/members", h.members, h.requireOwner).Name = routenames.Members
	dc.GET("/members/new", h.memberForm, h.requireOwner).Name = routenames.NewMember
	dc.POST("/members", h.createMember, h.requireOwner).Name = routenames.CreateMember
	dc.GET("/members/:id", h.editMemberForm, h.requireOwner).Name = routenames.EditMember
	dc.POST("/members/:id", h.updateMember, h.requireOwner).Name = routenames.UpdateMember
	dc.POST("/members/:id/disable", h.disableMember, h.requireOwner).Name = routenames.DisableMember
	dc.POST("/members/:id/enable", h.enableMember, h.requireOwner).Name = routenames.EnableMember
	h.routes = newRouteTable(e)
	return e
}

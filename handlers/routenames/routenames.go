// Package routenames names every route of the console and the platform API
// (handlers/routes.go). Handlers, views and mails build a URL from a name and
// its parameters (handlers/paths.go, views.Page.URL), never from a path
// written by hand, so a route's path lives in routes.go alone.
//
// Routes under a data center take it as their first parameter; the URL
// helpers fill it in from the request or page.
package routenames

// Probes and metrics.
const (
	Healthz = "healthz" // liveness probe
	Readyz  = "readyz"  // readiness probe
	Metrics = "metrics" // Prometheus metrics
)

// The platform API (docs/api.md).
const (
	APICreateProduct = "api.product.create"
	APIProduct       = "api.product"
	APIDeleteProduct = "api.product.delete"
	APIPurchase      = "api.purchase"
	APILicenses      = "api.licenses" // an account's licenses
	APIConnect       = "api.device.connect"
	APIDevice        = "api.device"
	APIDeleteDevice  = "api.device.delete"
	APIOpenAPI       = "api.openapi" // the API's OpenAPI document (docs/api.md, "The contract")
)

// Assets.
const (
	Static  = "static" // a file of static/, by its hashed name
	Favicon = "favicon"
)

// Signing in and out, and what lies outside the data centers.
const (
	SignInForm           = "signin.form"
	SignIn               = "signin"
	SignOut              = "signout"
	ChooseLanguage       = "language"        // the header's language switch
	ChooseSigninLanguage = "signin.language" // the sign-in page's language switch
	Home                 = "home"            // sends the viewer to their home data center
	SwitchDC             = "switch"          // the header's data-center switcher
	PasswordForm         = "password.form"   // one's own password
	ChangePassword       = "password.change" // its form's target
	Support              = "support"         // support staff's account search
	OpenSupportView      = "support.open"    // support staff open an account to read it
)

// The pages of one data center (docs/pages.md); each takes the data center first.
const (
	Overview           = "overview"          // license overview: product activation codes
	AssignmentHistory  = "history"           // the overview's assignment history tab
	ForecastCSV        = "forecast.csv"      // the overview's chart of codes against renewals, as CSV
	Unassigned         = "unassigned"        // dialog: unassigned codes per package
	AssignForm         = "assign.form"       // dialog: assign codes
	Assign             = "assign"            // its form's target
	ProductDetails     = "product.details"   // a product and its devices; param: product id
	ProductAutoRenew   = "product.autorenew" // the product's automatic renewal switch
	Blacklist          = "product.blacklist" // dialog: devices left out of automatic renewal
	BlacklistAdd       = "product.blacklist.add"
	BlacklistRemove    = "product.blacklist.remove"
	DeviceHistory      = "device.history"        // a device's activations; params: product id, device id
	DeviceRenew        = "device.renew"          // renew one device now
	DeviceAutoRenew    = "device.autorenew"      // one device's automatic renewal switch
	NearExpiry         = "near-expiry"           // devices whose codes expire soon
	NearExpiryChartCSV = "near-expiry.chart.csv" // the near-expiry chart's data
	Recipients         = "recipients"            // alert recipients
	AddRecipient       = "recipients.add"
	DeleteRecipient    = "recipients.delete" // param: recipient id
	TestAlert          = "recipients.test"
	AlertThreshold     = "recipients.threshold"
	Settings           = "settings" // the viewer's own settings
	SaveSettings       = "settings.save"
	SaveLanguage       = "settings.language" // the settings page's language choice
	Audit              = "audit"             // the audit log
	Members            = "members"           // sub-accounts
	NewMember          = "members.new"       // the form for a new sub-account
	CreateMember       = "members.create"
	EditMember         = "member.edit" // param: member id
	UpdateMember       = "member.update"
	DisableMember      = "member.disable"
	EnableMember       = "member.enable"
)

// Webhooks (docs/webhooks.md): the page, and the changes to an endpoint (param: endpoint id).
const (
	Webhooks          = "webhooks"
	AddWebhook        = "webhooks.add"
	EditWebhook       = "webhook.edit"
	UpdateWebhook     = "webhook.update"
	SetWebhookEnabled = "webhook.enabled"
	RotateWebhook     = "webhook.rotate"
	TestWebhook       = "webhook.test"
	DeleteWebhook     = "webhook.delete"
	RedeliverWebhook  = "webhook.redeliver" // params: endpoint id, event id
)

// The product page's consumption chart as CSV (docs/pages.md, "4. A product's
// details"); param: product id. Apart from the block above, whose alignment
// a longer name would change throughout.
const ProductConsumptionCSV = "product.consumption.csv"

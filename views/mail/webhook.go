package mail

import (
	"context"

	"activation-console/store"
	"activation-console/views"
)

// webhookMail is the notice of a disabled endpoint with what its views need.
type webhookMail struct {
	store.WebhookDisabledNotice
	r Renderer
}

// WebhookDisabled renders the owner's mail about an endpoint the console
// disabled after a day of failed deliveries (docs/webhooks.md, "Delivery"),
// in the owner's language.
func (r Renderer) WebhookDisabled(n store.WebhookDisabledNotice) (store.Mail, error) {
	ctx := views.WithLanguage(context.Background(), n.Language)
	m := webhookMail{WebhookDisabledNotice: n, r: r}
	return render(ctx, views.T(ctx, "mail.webhook_disabled.subject", "Account", oneLine(n.AccountName)),
		webhookDisabledText(m), webhookDisabledHTML(m))
}

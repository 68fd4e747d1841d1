package views

// An audit entry as its reader reads it: the operation by its name, the
// description from the messages the store recorded beside its English text
// (store.AuditMessage). Entries written before the store kept messages show
// their description as written: the log is history, never rewritten.

import (
	"context"
	"strings"
	"time"

	"activation-console/store"
)

// AuditOperationText words what an audit entry did; an operation the
// console does not know is shown as stored.
func AuditOperationText(ctx context.Context, op string) string {
	switch store.AuditOperation(op) {
	case store.OpAssign:
		return T(ctx, "audit.op.assign")
	case store.OpRenewNow:
		return T(ctx, "audit.op.renew_now")
	case store.OpAutoRenewOn:
		return T(ctx, "audit.op.auto_renew_on")
	case store.OpAutoRenewOff:
		return T(ctx, "audit.op.auto_renew_off")
	case store.OpBlacklistAdd:
		return T(ctx, "audit.op.blacklist_add")
	case store.OpBlacklistRemove:
		return T(ctx, "audit.op.blacklist_remove")
	case store.OpThreshold:
		return T(ctx, "audit.op.threshold")
	case store.OpRecipientAdd:
		return T(ctx, "audit.op.recipient_add")
	case store.OpRecipientRemove:
		return T(ctx, "audit.op.recipient_remove")
	case store.OpMemberCreate:
		return T(ctx, "audit.op.member_create")
	case store.OpMemberUpdate:
		return T(ctx, "audit.op.member_update")
	case store.OpEnable:
		return T(ctx, "audit.op.enable")
	case store.OpDisable:
		return T(ctx, "audit.op.disable")
	case store.OpPasswordChange:
		return T(ctx, "audit.op.password_change")
	case store.OpPasswordReset:
		return T(ctx, "audit.op.password_reset")
	case store.OpSignIn:
		return T(ctx, "audit.op.sign_in")
	case store.OpSignInFailed:
		return T(ctx, "audit.op.sign_in_failed")
	case store.OpSupportView:
		return T(ctx, "audit.op.support_view")
	case store.OpWebhookAdd:
		return T(ctx, "audit.op.webhook_add")
	case store.OpWebhookUpdate:
		return T(ctx, "audit.op.webhook_update")
	case store.OpWebhookRotate:
		return T(ctx, "audit.op.webhook_rotate")
	case store.OpWebhookDelete:
		return T(ctx, "audit.op.webhook_delete")
	case store.OpWebhookDisabled:
		return T(ctx, "audit.op.webhook_disabled")
	}
	return op
}

// AuditDescriptionText is an entry's description in the language on ctx,
// its times in the zone loc.
func AuditDescriptionText(ctx context.Context, e store.AuditEntry, loc *time.Location) string {
	if len(e.Message) == 0 {
		return e.Description
	}
	clauses := make([]string, len(e.Message))
	for i, c := range e.Message {
		args := make([]any, 0, 2*(len(c.Args)+len(c.Nums)+len(c.Times)))
		for k, v := range c.Args {
			args = append(args, k, v)
		}
		for k, n := range c.Nums {
			if k != "Count" { // Tn's own
				args = append(args, k, Num(n))
			}
		}
		for k, t := range c.Times {
			args = append(args, k, DateTime(ctx, t, loc))
		}
		if n, ok := c.Nums["Count"]; ok {
			clauses[i] = Tn(ctx, c.ID, n, args...)
		} else {
			clauses[i] = T(ctx, c.ID, args...)
		}
	}
	if len(clauses) == 1 {
		return clauses[0]
	}
	return strings.Join(clauses, T(ctx, "audit.entry.separator"))
}

// AuditEntryText is e with its operation and description worded for the
// reader (AuditCSV, whose cells are the entry's fields).
func AuditEntryText(ctx context.Context, e store.AuditEntry, loc *time.Location) store.AuditEntry {
	e.Operation, e.Description = AuditOperationText(ctx, e.Operation), AuditDescriptionText(ctx, e, loc)
	return e
}

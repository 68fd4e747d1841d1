package views

// The domain's words: each of the store's named values is worded here and
// only here, for pages, CSV exports and mail alike. A translation hooks in
// at these functions.

import (
	"context"

	"activation-console/store"
)

// DeviceStatusText words a device's status; a lapsed device says why
// (docs/pages.md, "4. A product's details").
func DeviceStatusText(ctx context.Context, status store.DeviceStatus, reason *store.LapseReason) string {
	switch status {
	case store.StatusActive:
		return T(ctx, "status.active")
	case store.StatusExpiring:
		return T(ctx, "status.expiring")
	case store.StatusExpired:
		return T(ctx, "status.expired")
	case store.StatusLapsed:
		return T(ctx, "status.lapsed_because", "Reason", LapseReasonText(ctx, reason))
	case store.StatusWaiting:
		return T(ctx, "status.waiting")
	case store.StatusNew:
		return T(ctx, "status.new")
	case store.StatusDeleted:
		return T(ctx, "status.deleted")
	}
	return string(status)
}

// DeviceStatusFilterText words a status as an option of the device list's
// status filter, where a lapsed device's reason is unknown and "expiring"
// needs its window.
func DeviceStatusFilterText(ctx context.Context, status store.DeviceStatus) string {
	switch status {
	case store.StatusExpiring:
		return T(ctx, "status.filter_expiring")
	case store.StatusLapsed:
		return T(ctx, "status.filter_lapsed")
	}
	return DeviceStatusText(ctx, status, nil)
}

// statusTone is the badge colour of a status, kept beside its words so that
// a new status is added in one place.
func statusTone(status store.DeviceStatus) string {
	switch status {
	case store.StatusActive:
		return "ok"
	case store.StatusExpiring:
		return "warn"
	case store.StatusExpired:
		return "info"
	case store.StatusLapsed, store.StatusWaiting:
		return "bad"
	}
	return ""
}

// LapseReasonText words briefly why a device lapsed (docs/renewal.md,
// "At expiry").
func LapseReasonText(ctx context.Context, reason *store.LapseReason) string {
	if reason == nil {
		return T(ctx, "lapse.unknown")
	}
	switch *reason {
	case store.ReasonAutoRenewOff:
		return T(ctx, "lapse.switch_off")
	case store.ReasonBlacklisted:
		return T(ctx, "lapse.blacklisted")
	case store.ReasonNoCode:
		return T(ctx, "lapse.no_code")
	}
	return string(*reason)
}

// OutlookText words a renewal outlook (docs/renewal.md, "Renewal outlook");
// "" for a device with no code to renew.
func OutlookText(ctx context.Context, outlook store.Outlook) string {
	switch outlook {
	case store.OutlookWillRenew:
		return T(ctx, "outlook.will_renew")
	case store.OutlookAutoRenewOff:
		return T(ctx, "outlook.switch_off")
	case store.OutlookBlacklisted:
		return T(ctx, "outlook.blacklisted")
	case store.OutlookAtRisk:
		return T(ctx, "outlook.at_risk")
	}
	return ""
}

// outlookTone is the badge colour of an outlook, beside its words.
func outlookTone(outlook store.Outlook) string {
	switch outlook {
	case store.OutlookWillRenew:
		return "ok"
	case store.OutlookAutoRenewOff, store.OutlookBlacklisted:
		return "warn"
	}
	return "bad"
}

// ActivationKindText words how a device came by a code; "" for none.
func ActivationKindText(ctx context.Context, kind *store.ActivationKind) string {
	if kind == nil {
		return ""
	}
	switch *kind {
	case store.ActivationFirst:
		return T(ctx, "activation.first")
	case store.ActivationRenewal:
		return T(ctx, "activation.renewal")
	case store.ActivationManual:
		return T(ctx, "activation.manual")
	}
	return string(*kind)
}

// RoleText words a user's role; a sub-account's says what it may do with
// licenses (docs/access.md, "Roles").
func RoleText(ctx context.Context, role store.Role, manageLicenses bool) string {
	switch role {
	case store.RoleOwner:
		return T(ctx, "role.owner")
	case store.RoleMember:
		if manageLicenses {
			return T(ctx, "role.member_manage")
		}
		return T(ctx, "role.member_view")
	case store.RoleSupport:
		return T(ctx, "role.support")
	}
	return string(role)
}

// AuditTypeText words an audit entry's type (docs/pages.md, "8. Audit log").
func AuditTypeText(ctx context.Context, t store.AuditType) string {
	switch t {
	case store.AuditLicense:
		return T(ctx, "audit_type.license")
	case store.AuditRenewal:
		return T(ctx, "audit_type.renewal")
	case store.AuditAlerts:
		return T(ctx, "audit_type.alerts")
	case store.AuditSubAccount:
		return T(ctx, "audit_type.sub_account")
	case store.AuditSecurity:
		return T(ctx, "audit_type.security")
	case store.AuditSignIn:
		return T(ctx, "audit_type.sign_in")
	case store.AuditSupport:
		return T(ctx, "audit_type.support")
	case store.AuditWebhooks:
		return T(ctx, "audit_type.webhooks")
	}
	return string(t)
}

package views

// The domain's words: each of the store's named values is worded here and
// only here, for pages, CSV exports and mail alike. A translation hooks in
// at these functions.

import "activation-console/store"

// DeviceStatusText words a device's status; a lapsed device says why
// (docs/pages.md, "4. A product's details").
func DeviceStatusText(status store.DeviceStatus, reason *store.LapseReason) string {
	switch status {
	case store.StatusActive:
		return "Active"
	case store.StatusExpiring:
		return "Expiring"
	case store.StatusExpired:
		return "Expired: renewal pending"
	case store.StatusLapsed:
		return "Lapsed: " + LapseReasonText(reason)
	case store.StatusWaiting:
		return "Waiting for a code"
	case store.StatusNew:
		return "Not activated"
	case store.StatusDeleted:
		return "Deleted"
	}
	return string(status)
}

// DeviceStatusFilterText words a status as an option of the device list's
// status filter, where a lapsed device's reason is unknown and "expiring"
// needs its window.
func DeviceStatusFilterText(status store.DeviceStatus) string {
	switch status {
	case store.StatusExpiring:
		return "Expiring (within 30 days)"
	case store.StatusLapsed:
		return "Lapsed"
	}
	return DeviceStatusText(status, nil)
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
func LapseReasonText(reason *store.LapseReason) string {
	if reason == nil {
		return "unknown reason"
	}
	switch *reason {
	case store.ReasonAutoRenewOff:
		return "switch off"
	case store.ReasonBlacklisted:
		return "blacklisted"
	case store.ReasonNoCode:
		return "no code"
	}
	return string(*reason)
}

// OutlookText words a renewal outlook (docs/renewal.md, "Renewal outlook");
// "" for a device with no code to renew.
func OutlookText(outlook store.Outlook) string {
	switch outlook {
	case store.OutlookWillRenew:
		return "Will renew"
	case store.OutlookAutoRenewOff:
		return "Won't renew: switch off"
	case store.OutlookBlacklisted:
		return "Won't renew: blacklisted"
	case store.OutlookAtRisk:
		return "At risk: too few codes"
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
func ActivationKindText(kind *store.ActivationKind) string {
	if kind == nil {
		return ""
	}
	switch *kind {
	case store.ActivationFirst:
		return "First activation"
	case store.ActivationRenewal:
		return "Automatic renewal"
	case store.ActivationManual:
		return "Renewed by hand"
	}
	return string(*kind)
}

// RoleText words a user's role; a sub-account's says what it may do with
// licenses (docs/access.md, "Roles").
func RoleText(role store.Role, manageLicenses bool) string {
	switch role {
	case store.RoleOwner:
		return "Account owner"
	case store.RoleMember:
		if manageLicenses {
			return "Sub-account, may manage licenses"
		}
		return "Sub-account, may view licenses"
	case store.RoleSupport:
		return "Support staff (read-only)"
	}
	return string(role)
}

// AuditTypeText words an audit entry's type (docs/pages.md, "8. Audit log"):
// today as it is stored, which is short and plain.
func AuditTypeText(t store.AuditType) string { return string(t) }

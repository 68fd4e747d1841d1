package store

import (
	"regexp"
	"strings"
)

// keyPattern is the form of ProductKeys and DeviceKeys (docs/api.md, "Conventions").
// orderNoPattern is the form of order numbers.
var orderNoPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,64}$`)

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// MaxQuantity is the largest quantity one purchase or assignment may carry.
const MaxQuantity = 1_000_000

func checkKey(field, key string) error {
	if !keyPattern.MatchString(key) {
		return invalid(field, "%s must be 1-64 letters, digits, '-', '_' or '.'", fieldLabel(field))
	}
	return nil
}

func checkQuantity(q int64) error {
	if q < 1 || q > MaxQuantity {
		return invalid("quantity", "quantity must be between 1 and 1,000,000")
	}
	return nil
}

func fieldLabel(field string) string { return strings.ReplaceAll(field, "_", " ") }

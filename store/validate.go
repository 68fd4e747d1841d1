package store

import (
	"regexp"
)

// keyPattern is the form of ProductKeys and DeviceKeys (docs/api.md, "Conventions").
// orderNoPattern is the form of order numbers.
var orderNoPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,64}$`)

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// MaxQuantity is the largest quantity one purchase or assignment may carry.
const MaxQuantity = 1_000_000

func checkKey(field, key string) error {
	if !keyPattern.MatchString(key) {
		return invalid(field, keyForms[field])
	}
	return nil
}

func checkQuantity(q int64) error {
	if q < 1 || q > MaxQuantity {
		return invalid("quantity", "err.quantity_range", "Min", 1, "Max", MaxQuantity)
	}
	return nil
}

// keyForms are the messages of checkKey by the field it checks.
var keyForms = map[string]string{
	"product_key": "err.product_key_form",
	"device_key":  "err.device_key_form",
	"device_keys": "err.device_keys_form",
}

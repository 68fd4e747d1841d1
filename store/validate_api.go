package store

// Exported forms of the input rules of validate.go, so the platform API can
// refuse malformed input before it looks anything up (a 400 must not turn
// into a 404 because the account was resolved first), with the rules still
// written once, here.

// CheckKey refuses a ProductKey or DeviceKey that is not 1-64 letters,
// digits, '-', '_' or '.'; the error names field.
func CheckKey(field, key string) error { return checkKey(field, key) }

// CheckQuantity refuses a quantity outside 1..MaxQuantity.
func CheckQuantity(q int64) error { return checkQuantity(q) }

// CheckOrderNo refuses a malformed order number.
func CheckOrderNo(orderNo string) error {
	if !orderNoPattern.MatchString(orderNo) {
		return invalid("order_no", "err.order_no_form")
	}
	return nil
}

package store

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength bounds an e-mail address in bytes (RFC 5321's 254-octet
// path limit); longer input is nobody's address.
const MaxEmailLength = 254

// errBadEmail is NormalizeEmail's refusal: input that cannot be anyone's
// e-mail address, whatever its spelling.
var errBadEmail = errors.New("store: not an e-mail address")

// NormalizeEmail returns the one spelling under which the console knows an
// e-mail address: for signing in, throttling, the failure audit and storing
// users (docs/SECURITY.md, "Sign-in"). The rule: refuse invalid UTF-8;
// trim surrounding white space; refuse control characters within (NUL
// included: PostgreSQL cannot store it); apply Unicode NFKC (full-width and
// other compatibility spellings fold into the plain one) and lowercase with
// Unicode's simple case mapping; refuse an empty result or one longer than
// MaxEmailLength bytes. It does not check that the result is an address
// (CheckEmail does); every input it accepts is safe to store and index.
func NormalizeEmail(s string) (string, error) {
	// Refused before any work: NFKC can grow a string up to 18 times.
	if len(s) > 4*MaxEmailLength || !utf8.ValidString(s) {
		return "", errBadEmail
	}
	s = strings.TrimSpace(s) // a pasted address's tab or newline around it
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", errBadEmail
	}
	// NFKC again after lowercasing: a few lowercase forms are not NFKC.
	s = norm.NFKC.String(strings.ToLower(norm.NFKC.String(s)))
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmailLength || strings.ContainsFunc(s, unicode.IsControl) {
		return "", errBadEmail
	}
	return s, nil
}

package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// tokenPrefix marks the console's API tokens so that a leaked one is recognisable.
const tokenPrefix = "acc_"

// CreateToken makes a new platform API token and returns its secret, which is
// kept only as a SHA-256 hash: show it once.
func (s *Store) CreateToken(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name", "the token needs a name")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := tokenPrefix + hex.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (name, token_hash) VALUES ($1, $2)`, name, sum[:])
	if isUniqueViolation(err, "api_tokens_name_key") {
		return "", &Error{Kind: KindConflict, Code: CodeExists, Field: "name", Message: "a token named " + name + " exists already"}
	}
	return secret, err
}

// CheckToken tells whether secret is a token created by CreateToken. The
// random secret makes its hash a safe index; the final comparison is in
// constant time all the same.
func (s *Store) CheckToken(ctx context.Context, secret string) (bool, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return false, nil
	}
	sum := sha256.Sum256([]byte(secret))
	var stored []byte
	err := s.db.GetContext(ctx, &stored, `SELECT token_hash FROM api_tokens WHERE token_hash = $1`, sum[:])
	if err != nil {
		return false, notFound(err, nil)
	}
	return subtle.ConstantTimeCompare(stored, sum[:]) == 1, nil
}

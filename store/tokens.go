package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"
)

// tokenPrefix marks the console's API tokens so that a leaked one is recognisable.
const tokenPrefix = "acc_"

// tokenUseResolution is how often a token's last use is written: a busy
// token would otherwise cost a write on every check.
const tokenUseResolution = time.Minute

// Token is a platform API token as `console token list` shows it: never its secret.
type Token struct {
	Name       string     `db:"name"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"` // to the minute; nil: never used
	RevokedAt  *time.Time `db:"revoked_at"`
}

// CreateToken makes a new platform API token and returns its secret, which is
// kept only as a SHA-256 hash: show it once.
func (s *Store) CreateToken(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name", "err.token_name_missing")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := tokenPrefix + hex.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (name, token_hash, created_at) VALUES ($1, $2, $3)`, name, sum[:], s.Now())
	if isUniqueViolation(err, "api_tokens_name_key") {
		return "", conflict(CodeExists, "err.token_exists", "Name", name).at("name")
	}
	return secret, err
}

// CheckToken tells whether secret is a token created by CreateToken and not
// revoked, and notes its use. The random secret makes its hash a safe index;
// the final comparison is in constant time all the same.
func (s *Store) CheckToken(ctx context.Context, secret string) (bool, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return false, nil
	}
	sum := sha256.Sum256([]byte(secret))
	now := s.Now()
	var stored []byte
	err := s.db.GetContext(ctx, &stored, `WITH t AS (
			SELECT id, token_hash, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL
		), used AS (
			UPDATE api_tokens a SET last_used_at = $2 FROM t
			WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at <= $3)
		)
		SELECT token_hash FROM t`, sum[:], now, now.Add(-tokenUseResolution))
	if err != nil {
		return false, notFound(err, nil)
	}
	return subtle.ConstantTimeCompare(stored, sum[:]) == 1, nil
}

// Tokens lists every platform API token, revoked ones too, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	var ts []Token
	err := s.db.SelectContext(ctx, &ts, `SELECT name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at, id`)
	return ts, err
}

// RevokeToken stops the named token from working. The API's instances each
// trust a checked token for a few seconds more (docs/SECURITY.md, "API tokens").
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	name = strings.TrimSpace(name)
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL`, name, s.Now())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var revoked bool
	if err := s.db.GetContext(ctx, &revoked, `SELECT true FROM api_tokens WHERE name = $1`, name); err != nil {
		return notFound(err, notFoundErr(CodeUnknownToken, "err.no_token", "Name", Quoted(name)))
	}
	return conflict(CodeTokenRevoked, "err.token_revoked", "Name", Quoted(name))
}

package handlers

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// tokenCacheTTL is how long a token that passed the check is trusted without
// asking the database again: the connect path is hot, so each instance asks
// at most once per token in this delay, and a revoked token stops working on
// every instance within it (docs/SECURITY.md, "API tokens").
const tokenCacheTTL = 5 * time.Second

// requireToken admits requests that carry `Authorization: Bearer <token>`
// with a token created by the command line (docs/api.md, "Conventions").
func (h *Handler) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok {
			return unauthorized(c, "send the header Authorization: Bearer <token>")
		}
		valid, err := h.checkToken(c, token)
		if err != nil {
			return err
		}
		if !valid {
			return unauthorized(c, "the bearer token is not valid")
		}
		return next(c)
	}
}

// checkToken asks the store about token unless it passed less than
// tokenCacheTTL ago. Only positive answers are kept, so the cache holds at
// most one entry per real token. It reads the store's clock so that tests
// can move past the TTL.
func (h *Handler) checkToken(c echo.Context, token string) (bool, error) {
	key := sha256.Sum256([]byte(token))
	now := h.store.Now()
	if until, ok := h.tokens.Load(key); ok && now.Before(until.(time.Time)) {
		return true, nil
	}
	valid, err := h.store.CheckToken(c.Request().Context(), token)
	if err != nil || !valid {
		h.tokens.Delete(key)
		return false, err
	}
	h.tokens.Store(key, now.Add(tokenCacheTTL))
	return true, nil
}

// bearerToken reads the token of an Authorization header; the scheme is
// case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// unauthorized answers 401 with the challenge RFC 6750 asks for.
func unauthorized(c echo.Context, message string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
	return c.JSON(http.StatusUnauthorized, apiErrorBody{Error: codeUnauthorized, Message: message})
}

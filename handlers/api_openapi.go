package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/docs"
)

// openAPIETag is the version of the OpenAPI document: it changes only with
// the console's build.
var openAPIETag = func() string {
	sum := sha256.Sum256(docs.OpenAPI)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}()

// openAPI serves the API's contract (docs/api.md, "The contract"). Unlike the
// API's answers it holds no account data, so it needs no token and caches
// may keep it for an hour, revalidating with its ETag.
func (h *Handler) openAPI(c echo.Context) error {
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "public, max-age=3600") // replaces the API's no-store (security.go)
	hdr.Set("ETag", openAPIETag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), openAPIETag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, docs.OpenAPI)
}

// etagMatches tells whether an If-None-Match header names etag (RFC 9110,
// section 13.1.2: a list of tags, weak ones compared weakly, or "*").
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}

package handlers

import (
	"crypto/rand"

	"github.com/labstack/echo/v4"
)

func randomKey(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// sessionID reads the session id from the signed, encrypted cookie.
func (h *Handler) sessionID(c echo.Context) string {
	s, err := h.cookies.Get(c.Request(), h.cookie)
	if err != nil {
		return ""
	}
	id, _ := s.Values["sid"].(string)
	return id
}

// setSessionCookie stores a new session id in the cookie, or clears it when id is "".
func (h *Handler) setSessionCookie(c echo.Context, id string) error {
	s, _ := h.cookies.New(c.Request(), h.cookie)
	if id == "" {
		s.Options.MaxAge = -1
	} else {
		s.Values["sid"] = id
	}
	return s.Save(c.Request(), c.Response())
}

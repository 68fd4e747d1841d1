package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// pathID reads the numeric path parameter name. Anything else, a word or a
// negative number, names no record, so the page is not found.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

package handlers

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestPathID(t *testing.T) {
	for _, tc := range []struct {
		param string
		want  int64
		ok    bool
	}{
		{"7", 7, true},
		{"0", 0, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"-1", 0, false},
		{"abc", 0, false},
		{"7x", 0, false},
		{"", 0, false},
	} {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
		c.SetParamNames("id")
		c.SetParamValues(tc.param)
		got, err := pathID(c, "id")
		if got != tc.want || (err == nil) != tc.ok || (err != nil && !errors.Is(err, echo.ErrNotFound)) {
			t.Errorf("pathID(%q) = %d, %v; want %d, ok %v", tc.param, got, err, tc.want, tc.ok)
		}
	}
}

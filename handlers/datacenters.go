package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// An instance may serve some of the platform's data centers only (--dc):
// its console shows those alone (other DCs' pages are 404 and not in the
// switcher), its API refuses requests naming another, and its renewal
// worker renews only those (docs/SECURITY.md, "Operator settings").

// servedDCs splits the platform's data centers into those served here (all
// when served is empty) and the codes of the others.
func servedDCs(all []store.DataCenter, served []string) (mine []store.DataCenter, others []string) {
	if len(served) == 0 {
		return all, nil
	}
	for _, dc := range all {
		if slices.Contains(served, dc.Code) {
			mine = append(mine, dc)
		} else {
			others = append(others, dc.Code)
		}
	}
	return mine, others
}

// servesDC refuses an API request naming a data center that another
// instance serves: 421 wrong_data_center. A code no data center has is left
// to the store, which says so.
func (h *Handler) servesDC(dc string) error {
	if !slices.Contains(h.otherDCs, dc) {
		return nil
	}
	codes := make([]string, len(h.dcs))
	for i, d := range h.dcs {
		codes[i] = d.Code
	}
	return echo.NewHTTPError(http.StatusMisdirectedRequest, fmt.Sprintf(
		"data_center %s is served by another instance of the console; this one serves %s", dc, strings.Join(codes, ", ")))
}

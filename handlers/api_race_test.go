package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Two hundred devices connecting at once to a product with five codes: the
// ledger hands out exactly five, and every other device gets a clean 409.
func TestConnect_ConcurrentDevicesNeverTakeMoreCodesThanTheProductHas(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 5)
	srv := httptest.NewServer(f.srv)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()

	const devices = 200
	type outcome struct {
		status int
		code   string // result or error code
		err    error
	}
	outcomes := make([]outcome, devices)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range devices {
		wg.Go(func() {
			<-start
			body := fmt.Sprintf(`{"product_key":"PK-1","device_key":"dev-%03d","data_center":"eu-frankfurt"}`, i)
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/devices/connect", strings.NewReader(body))
			if err != nil {
				outcomes[i].err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+f.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				outcomes[i].err = err
				return
			}
			defer resp.Body.Close()
			var m struct{ Result, Error string }
			outcomes[i].status, outcomes[i].err = resp.StatusCode, json.NewDecoder(resp.Body).Decode(&m)
			outcomes[i].code = m.Result + m.Error
		})
	}
	close(start)
	wg.Wait()

	counts := map[string]int{}
	for i, o := range outcomes {
		if o.err != nil {
			t.Fatalf("device %d: %v", i, o.err)
		}
		if o.status >= 500 {
			t.Errorf("device %d: status %d %s", i, o.status, o.code)
		}
		counts[fmt.Sprintf("%d %s", o.status, o.code)]++
	}
	want := map[string]int{"200 activated": 5, "409 no_activation_code": devices - 5}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", counts, want)
	}
	wantFields(t, f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK), map[string]any{
		"product_key": "PK-1", "name": "Product PK-1", "data_center": "eu-frankfurt", "package": "std-1y",
		"total": 5, "consumed": 5, "available": 0, "auto_renew": true})
	lic := f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	if lic["waiting_devices"] != float64(devices-5) {
		t.Errorf("waiting devices %v, want %d", lic["waiting_devices"], devices-5)
	}
}

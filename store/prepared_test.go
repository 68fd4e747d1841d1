package store_test

import (
	"testing"
	"time"
)

// The charts' statements are prepared on a pool whose connections plan each
// of them once (prepared.go): none is planned anew for the values of its
// parameters, not even the first runs.
func TestPreparedQueries_ArePlannedOnce(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	db := f.st.PlanOnceDB()
	db.SetMaxOpenConns(1) // the statements' connection is the one asked below
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, loc := range []*time.Location{time.UTC, sh} {
		if _, err := f.st.NearExpiryByDay(f.ctx, f.scope(), loc); err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int64
	if err := db.QueryRowContext(f.ctx, `SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements`).
		Scan(&generic, &custom); err != nil {
		t.Fatal(err)
	}
	if generic < 4 || custom != 0 {
		t.Errorf("the chart's statements ran %d generic and %d custom plans; want at least 4 generic, no custom", generic, custom)
	}
}

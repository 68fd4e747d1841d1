package store

import "github.com/jmoiron/sqlx"

// Internals that the package's tests (package store_test) examine.

// FindAccountsSQL is the support search's query, for its plan.
const FindAccountsSQL = findAccountsSQL

// SetForecastSumHook has fn run between the reading of a scope's forecast
// parts and the keeping of their sum, until the test ends.
func SetForecastSumHook(t interface{ Cleanup(func()) }, fn func(Scope)) {
	forecastSumHook.Store(&fn)
	t.Cleanup(func() { forecastSumHook.Store(nil) })
}

// PlanOnceDB is the pool of the charts' prepared statements (prepared.go).
func (s *Store) PlanOnceDB() *sqlx.DB { return s.planOnce }

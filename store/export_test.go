package store

// Internals that the package's tests (package store_test) examine.

// FindAccountsSQL is the support search's query, for its plan.
const FindAccountsSQL = findAccountsSQL

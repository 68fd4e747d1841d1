package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Package is one entry of the package catalog (docs/codes.md, "Words").
type Package struct {
	ID             int64     `db:"id"`
	Code           string    `db:"code"`
	Name           string    `db:"name"`
	Validity       string    `db:"validity"` // PostgreSQL interval text, e.g. "1 year"
	MessagesPerDay int       `db:"messages_per_day"`
	OTAPerMonth    int       `db:"ota_per_month"`
	OTASizeMB      int       `db:"ota_size_mb"`
	StorageDays    int       `db:"storage_days"`
	IsDefault      bool      `db:"is_default"`
	CreatedAt      time.Time `db:"created_at"`
}

const packageColumns = `id, code, name, validity::text AS validity, messages_per_day, ota_per_month, ota_size_mb, storage_days, is_default, created_at`

// NewPackage is the input of CreatePackage.
type NewPackage struct {
	Code, Name     string
	Validity       string // like 5y, 12mo, 30d, 90s
	MessagesPerDay int
	OTAPerMonth    int
	OTASizeMB      int
	StorageDays    int
}

var validityPattern = regexp.MustCompile(`^([1-9][0-9]{0,5})(y|mo|d|h|m|s)$`)

// ParseValidity turns "5y", "12mo", "30d", "90s" into a PostgreSQL interval.
func ParseValidity(v string) (string, error) {
	m := validityPattern.FindStringSubmatch(v)
	if m == nil {
		return "", invalid("validity", "err.validity_form")
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]string{"y": "years", "mo": "months", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[m[2]]
	return fmt.Sprintf("%d %s", n, unit), nil
}

// CreatePackage adds a package to the catalog.
func (s *Store) CreatePackage(ctx context.Context, in NewPackage) (Package, error) {
	interval, err := ParseValidity(in.Validity)
	if err != nil {
		return Package{}, err
	}
	if in.OTASizeMB == 0 {
		in.OTASizeMB = 5
	}
	var p Package
	err = s.db.GetContext(ctx, &p, `INSERT INTO packages (code, name, validity, messages_per_day, ota_per_month, ota_size_mb, storage_days)
		VALUES ($1, $2, $3::interval, $4, $5, $6, $7) RETURNING `+packageColumns,
		in.Code, in.Name, interval, in.MessagesPerDay, in.OTAPerMonth, in.OTASizeMB, in.StorageDays)
	if isUniqueViolation(err, "") {
		return Package{}, conflict(CodeExists, "err.package_exists", "Package", Quoted(in.Code))
	}
	if isCheckViolation(err) {
		return Package{}, invalid("", "err.package_form")
	}
	return p, err
}

// PackageByCode finds a package of the catalog by its short code.
func (s *Store) PackageByCode(ctx context.Context, code string) (Package, error) {
	var p Package
	err := s.reads(ctx).GetContext(ctx, &p, `SELECT `+packageColumns+` FROM packages WHERE code = $1`, code)
	return p, notFound(err, notFoundErr(CodeUnknownPackage, "err.no_package", "Package", Quoted(code)))
}

// Packages lists the catalog.
func (s *Store) Packages(ctx context.Context) ([]Package, error) {
	var ps []Package
	err := s.db.SelectContext(ctx, &ps, `SELECT `+packageColumns+` FROM packages ORDER BY id`)
	return ps, err
}

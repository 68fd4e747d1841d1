package store

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Account is a customer of the platform (docs/codes.md, "Words").
type Account struct {
	ID             int64     `db:"id"`
	Name           string    `db:"name"`
	Type           string    `db:"type"`
	HomeDC         string    `db:"home_dc"`
	AlertThreshold int       `db:"alert_threshold"`
	OwnerEmail     string    `db:"owner_email"`
	CreatedAt      time.Time `db:"created_at"`
}

const accountColumns = `a.id, a.name, a.type, a.home_dc, a.alert_threshold, a.created_at,
	coalesce((SELECT u.email FROM users u WHERE u.account_id = a.id AND u.role = 'owner'), '') AS owner_email`

// NewAccount is the input of CreateAccount.
type NewAccount struct {
	Name, Type, DataCenter string
	OwnerEmail             string
	OwnerPassword          string
}

// DataCenter is a region (docs/codes.md, "Words").
type DataCenter struct {
	Code string `db:"code"`
	Name string `db:"name"`
}

// DataCenters lists the data centers.
func (s *Store) DataCenters(ctx context.Context) ([]DataCenter, error) {
	var dcs []DataCenter
	err := s.db.SelectContext(ctx, &dcs, `SELECT code, name FROM data_centers ORDER BY code`)
	return dcs, err
}

func checkDC(ctx context.Context, q sqlx.QueryerContext, dc string) error {
	known, err := knownDCs(ctx, q)
	if err != nil {
		return err
	}
	if !known[dc] {
		return invalid("data_center", "err.no_data_center", "DC", Quoted(dc))
	}
	return nil
}

// dataCenterSet caches the data centers: they come only from migrations, and
// the connect path checks one on every request.
var dataCenterSet struct {
	sync.Mutex
	known map[string]bool
}

func knownDCs(ctx context.Context, q sqlx.QueryerContext) (map[string]bool, error) {
	dataCenterSet.Lock()
	defer dataCenterSet.Unlock()
	if dataCenterSet.known != nil {
		return dataCenterSet.known, nil
	}
	var codes []string
	if err := sqlx.SelectContext(ctx, q, &codes, `SELECT code FROM data_centers`); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range codes {
		known[c] = true
	}
	dataCenterSet.known = known
	return known, nil
}

// CreateAccount creates an account with its owner and gives it the free
// codes (docs/codes.md, "Where codes come from"), all in one transaction.
func (s *Store) CreateAccount(ctx context.Context, in NewAccount) (Account, error) {
	if in.Type != "enterprise" && in.Type != "individual" {
		return Account{}, invalid("type", "err.account_type")
	}
	if strings.TrimSpace(in.Name) == "" {
		return Account{}, invalid("name", "err.account_name_missing")
	}
	hash, err := hashPassword(in.OwnerPassword)
	if err != nil {
		return Account{}, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkDC(ctx, tx, in.DataCenter); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &id, `INSERT INTO accounts (name, type, home_dc) VALUES ($1, $2, $3) RETURNING id`,
			strings.TrimSpace(in.Name), in.Type, in.DataCenter); err != nil {
			return err
		}
		if _, err := insertUser(ctx, tx, NewUser{AccountID: id, Role: RoleOwner, Email: in.OwnerEmail, passwordHash: hash}); err != nil {
			return err
		}
		return grantFreeCodes(ctx, tx, id, in.Type, in.DataCenter)
	})
	if err != nil {
		return Account{}, err
	}
	return s.Account(ctx, id)
}

// Account reads an account by id.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	var a Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = $1`, id)
	return a, notFound(err, notFoundErr(CodeUnknownAccount, "err.no_account_id", "ID", strconv.FormatInt(id, 10)))
}

// FindAccount resolves the API's account reference: an id or the owner's e-mail.
func (s *Store) FindAccount(ctx context.Context, ref string) (Account, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.Account(ctx, id)
	}
	var a Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts a
		JOIN users o ON o.account_id = a.id AND o.role = 'owner' WHERE lower(o.email) = lower($1)`, ref)
	return a, notFound(err, notFoundErr(CodeUnknownAccount, "err.no_account_ref", "Account", Quoted(ref)))
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/jmoiron/sqlx"
)

// Role is what a user is to an account (docs/access.md, "Roles"), as stored
// in users.role; views.RoleText words it.
type Role string

// The roles.
const (
	RoleOwner   Role = "owner"
	RoleMember  Role = "member" // a sub-account
	RoleSupport Role = "support"
)

// MinPasswordLength is the shortest password the console accepts.
const MinPasswordLength = 12

// MaxPasswordLength is the longest, in bytes: a bound on what a sign-in form
// can make the server hash (docs/SECURITY.md, "Resource limits").
const MaxPasswordLength = 1024

// User is a person who signs in to the console.
type User struct {
	ID             int64      `db:"id"`
	AccountID      *int64     `db:"account_id"`
	Role           Role       `db:"role"`
	Email          string     `db:"email"`
	Name           string     `db:"name"`
	PasswordHash   string     `db:"password_hash"`
	ManageLicenses bool       `db:"manage_licenses"`
	AllProducts    bool       `db:"all_products"`
	DisabledAt     *time.Time `db:"disabled_at"`
	CreatedAt      time.Time  `db:"created_at"`
	TimeZone       string     `db:"time_zone"`
	Language       *Language  `db:"language"` // nil: not chosen, the browser's Accept-Language decides
}

const userColumns = `id, account_id, role, email, name, password_hash, manage_licenses, all_products, disabled_at, created_at, time_zone, language`

// NewUser is the input of CreateUser.
type NewUser struct {
	AccountID      int64 // 0 for support staff
	Role           Role
	Email, Name    string
	Password       string
	ManageLicenses bool
	passwordHash   string
}

// argonParams are argon2id's recommended defaults, lighter on memory so that
// sign-ins under load do not exhaust a small machine.
var argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func hashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLength {
		return "", invalid("password", "err.password_short", "Min", MinPasswordLength)
	}
	if len(pw) > MaxPasswordLength {
		return "", invalid("password", "err.password_long", "Max", MaxPasswordLength)
	}
	return createHash(pw)
}

// CheckEmail validates an e-mail address and returns it trimmed. Users' e-mails
// go through NormalizeEmail first (insertUser); alert recipients keep the
// case they were typed in.
func CheckEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	if len(email) > MaxEmailLength || !utf8.ValidString(email) || strings.ContainsFunc(email, unicode.IsControl) {
		return "", invalid(field, "err.email_long", "Max", MaxEmailLength)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return "", invalid(field, "err.not_an_email", "Address", Quoted(email))
	}
	return email, nil
}

// CreateUser creates a support user or a member of an account.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (User, error) {
	hash, err := hashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	in.passwordHash = hash
	id, err := insertUser(ctx, s.db, in)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	return u, err
}

func insertUser(ctx context.Context, q sqlx.ExtContext, in NewUser) (int64, error) {
	// Stored in the form sign-in looks it up by (docs/SECURITY.md, "Sign-in").
	email, err := NormalizeEmail(in.Email)
	if err == nil {
		email, err = CheckEmail("email", email)
	} else {
		err = invalid("email", "err.email_long", "Max", MaxEmailLength)
	}
	if err != nil {
		return 0, err
	}
	var account *int64
	if in.AccountID != 0 {
		account = &in.AccountID
	}
	var id int64
	err = sqlx.GetContext(ctx, q, &id, `INSERT INTO users (account_id, role, email, name, password_hash, manage_licenses)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, account, in.Role, email, in.Name, in.passwordHash, in.ManageLicenses || in.Role == RoleOwner)
	if isUniqueViolation(err, "users_email") {
		return 0, conflict(CodeExists, "err.user_exists").at("email")
	}
	return id, err
}

// ErrBadCredentials is returned for an unknown e-mail and a wrong password alike.
var ErrBadCredentials = errors.New("store: the e-mail or the password is wrong")

// Authenticate returns the enabled user with this e-mail and password. It
// neither throttles nor counts failures: sign-in goes through SignIn.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	key, err := NormalizeEmail(email)
	if err != nil {
		return User{}, ErrBadCredentials
	}
	return s.authenticate(ctx, key, password)
}

// authenticate checks the password of the user whose e-mail is key, in
// NormalizeEmail's form. lower() on both sides matches the unique index
// users_email, and rows stored before e-mails were normalized.
func (s *Store) authenticate(ctx context.Context, key, password string) (User, error) {
	if len(password) > MaxPasswordLength {
		return User{}, ErrBadCredentials // no one's password: hashing it would only cost
	}
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL`, key)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	hash := u.PasswordHash
	if err != nil {
		// Spend the same time as a real check, so timing does not tell which e-mails exist.
		hash = dummyHash
	}
	ok, herr := s.comparePassword(ctx, password, hash)
	if herr != nil {
		return User{}, herr
	}
	if err != nil || !ok {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

var dummyHash, _ = argon2id.CreateHash("not a password of anyone", argonParams)

// operatorActor names the person at the host's command line in audit logs.
var operatorActor = SystemActor("operator (console command)")

// SetPassword gives the user with this e-mail a new password (console user
// password) and ends every session of the user, so whoever knew the old one
// is signed out (docs/SECURITY.md, "Credentials").
func (s *Store) SetPassword(ctx context.Context, email, password string) (User, error) {
	hash, err := hashPassword(password)
	if err != nil {
		return User{}, err
	}
	return s.changeUser(ctx, email, OpPasswordReset, "reset the password of %s at the command line; their sessions ended", "audit.entry.cli_password_reset",
		func(tx *sqlx.Tx, id int64, now time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, id, hash, now)
			return err
		})
}

// DisableUser stops the user with this e-mail from signing in (console user
// disable) and ends every session of the user at once.
func (s *Store) DisableUser(ctx context.Context, email string) (User, error) {
	return s.changeUser(ctx, email, OpDisable, "disabled %s at the command line; their sessions ended", "audit.entry.cli_disabled",
		func(tx *sqlx.Tx, id int64, now time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = coalesce(disabled_at, $2) WHERE id = $1`, id, now)
			return err
		})
}

// EnableUser lets the user with this e-mail sign in again (console user enable).
func (s *Store) EnableUser(ctx context.Context, email string) (User, error) {
	return s.changeUser(ctx, email, OpEnable, "enabled %s at the command line", "audit.entry.cli_enabled",
		func(tx *sqlx.Tx, id int64, _ time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = $1`, id)
			return err
		})
}

// changeUser applies update to the user with this e-mail, ends the user's
// sessions and writes the audit row of their account, in one transaction:
// descFormat in English, msgID as a message, each naming the user's e-mail.
func (s *Store) changeUser(ctx context.Context, email string, op AuditOperation, descFormat, msgID string, update func(tx *sqlx.Tx, id int64, now time.Time) error) (User, error) {
	email = strings.TrimSpace(email)
	var u User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) FOR UPDATE`, email); err != nil {
			return notFound(err, notFoundErr(CodeUnknownUser, "err.no_user_email", "Address", Quoted(email)))
		}
		now := s.Now()
		if err := update(tx, u.ID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, u.ID, now); err != nil {
			return err
		}
		if u.AccountID != nil {
			return s.audit(ctx, tx, *u.AccountID, operatorActor, AuditSecurity, op, fmt.Sprintf(descFormat, u.Email), clause(msgID, "Email", u.Email))
		}
		return nil
	})
	return u, err
}

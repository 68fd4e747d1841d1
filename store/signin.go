package store

import (
	"context"
	"errors"
)

// SignIn checks a sign-in attempt from the client address ip: the e-mail as
// typed, normalized once here and used alike for the throttle, the password
// check and the failure's count and audit (docs/SECURITY.md, "Sign-in"). It
// returns ErrThrottled while the e-mail or the address has failed too often,
// ErrBadCredentials for a wrong e-mail or password (always counted, whatever
// the input), or ErrBusy when no password check could start in time.
func (s *Store) SignIn(ctx context.Context, email, password, ip string) (User, error) {
	key, usable := signInKey(email)
	throttled, err := s.signInThrottled(ctx, key, ip)
	if err != nil {
		return User{}, err
	}
	if throttled {
		return User{}, ErrThrottled
	}
	user, err := User{}, ErrBadCredentials // input no user can have: no password to check
	if usable {
		user, err = s.authenticate(ctx, key, password)
	}
	if !errors.Is(err, ErrBadCredentials) {
		return user, err
	}
	if err := s.recordSignInFailure(ctx, key, usable, ip); err != nil {
		return User{}, err
	}
	return User{}, ErrBadCredentials
}

package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sessionKeysFile holds the generated session keys in the data directory.
const sessionKeysFile = "session.keys"

// sessionKeys returns the session cookie keys kept in dataDir, generating a
// pair (a 32-byte signing key, a 32-byte encryption key) on first use, so
// that sessions survive a restart. Several processes may race here: the file
// appears whole or not at all, and the loser reads the winner's keys.
func sessionKeys(dataDir string) ([][]byte, error) {
	path := filepath.Join(dataDir, sessionKeysFile)
	if b, err := os.ReadFile(path); err == nil {
		return parseSessionKeys(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	keys := [][]byte{make([]byte, 32), make([]byte, 32)}
	var text strings.Builder
	for _, k := range keys {
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		text.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	}
	tmp, err := os.CreateTemp(dataDir, sessionKeysFile+".*")
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600: only the console's user may read the keys.
	if _, err := tmp.WriteString(text.String()); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return sessionKeys(dataDir)
	} else if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	return keys, nil
}

// parseSessionKeys reads keys written as base64, separated by commas or
// line breaks, in pairs: a signing key of 32 or 64 bytes, then an encryption
// key of 16, 24 or 32 bytes. The first pair is current; later pairs still
// open cookies issued before a rotation.
func parseSessionKeys(text string) ([][]byte, error) {
	var keys [][]byte
	for _, field := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' }) {
		k, err := base64.StdEncoding.DecodeString(field)
		if err != nil {
			return nil, fmt.Errorf("session keys: key %d is not base64", len(keys)+1)
		}
		signing := len(keys)%2 == 0
		if signing && len(k) != 32 && len(k) != 64 {
			return nil, fmt.Errorf("session keys: key %d, a signing key, has %d bytes; want 32 or 64", len(keys)+1, len(k))
		}
		if !signing && len(k) != 16 && len(k) != 24 && len(k) != 32 {
			return nil, fmt.Errorf("session keys: key %d, an encryption key, has %d bytes; want 16, 24 or 32", len(keys)+1, len(k))
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 || len(keys)%2 != 0 {
		return nil, fmt.Errorf("session keys: want pairs of a signing and an encryption key, got %d keys", len(keys))
	}
	return keys, nil
}

package main

// Passwords given to the console's commands (docs/SECURITY.md, "Credentials"):
// a command line is visible to every user of the host in the process list,
// so a password comes from stdin or the environment; the old flags still
// work, with a warning.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// passwordEnv is the environment variable a command reads the password it sets from.
const passwordEnv = "CONSOLE_PASSWORD"

// maxPasswordInput bounds what --password-stdin reads: a password, not a file.
const maxPasswordInput = 1024

// passwordInput is where a command's password comes from.
type passwordInput struct {
	flagName string
	flag     string // the password on the command line (discouraged)
	stdin    bool   // --password-stdin
}

// addPasswordFlags adds --flagName and --password-stdin to fs.
func addPasswordFlags(fs *flag.FlagSet, flagName, whose string) *passwordInput {
	p := &passwordInput{flagName: flagName}
	fs.StringVar(&p.flag, flagName, "", whose+" (at least 12 characters); visible in the process list: prefer --password-stdin or "+passwordEnv)
	fs.BoolVar(&p.stdin, "password-stdin", false, "read "+whose+" from the first line of stdin")
	return p
}

// read returns the password from the one source given: --password-stdin,
// the flag (with a warning on stderr), or CONSOLE_PASSWORD.
func (p *passwordInput) read(s streams) (string, error) {
	switch {
	case p.stdin && p.flag != "":
		return "", usagef("give the password with --%s or --password-stdin, not both", p.flagName)
	case p.stdin:
		return readPasswordLine(s.in)
	case p.flag != "":
		fmt.Fprintf(s.errs, "console: warning: --%s shows the password to every user of this host in the process list; use --password-stdin or %s instead\n", p.flagName, passwordEnv)
		return p.flag, nil
	}
	if v, ok := os.LookupEnv(passwordEnv); ok && v != "" {
		return v, nil
	}
	return "", usagef("give the password on stdin with --password-stdin, or in the environment variable %s", passwordEnv)
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--password-stdin: there is no stdin to read")
	}
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordInput+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: %w", err)
	}
	if len(line) > maxPasswordInput {
		return "", usagef("--password-stdin: the first line is longer than %d bytes", maxPasswordInput)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usagef("--password-stdin: stdin holds no password")
	}
	return line, nil
}

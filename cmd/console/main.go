// Command console runs the activation code console and its maintenance
// subcommands (docs/running.md). Without a subcommand it serves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"activation-console/store"
	"activation-console/views"
)

func main() {
	// Ctrl-C and SIGTERM cancel the context: serve drains and stops, a
	// one-off command gives up; both stop the embedded cluster on the way out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go forceExitOnSecondSignal(ctx)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// forceExitOnSecondSignal ends the process at once when a second SIGINT or
// SIGTERM comes while the first one's drain is still running: a person who
// presses Ctrl-C twice means it. Work cut short is safe (every ledger change
// is one transaction), but an embedded cluster is left for its next start to
// recover.
func forceExitOnSecondSignal(ctx context.Context) {
	<-ctx.Done()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	<-again
	fmt.Fprintln(os.Stderr, "console: second signal: exiting without waiting for the drain")
	os.Exit(exitFailure)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// streams are where a command reads a password (--password-stdin) and
// writes: results on out, progress and errors on errs.
type streams struct {
	in        io.Reader
	out, errs io.Writer
}

// command is one subcommand; name has one or two words ("account create").
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, s streams, args []string) error
}

var commands = []command{
	{"serve", "run the console and the renewal worker (the default)", runServe},
	{"migrate", "apply the database migrations and exit", runMigrate},
	{"demo", "load the demo data set (idempotent)", runDemo},
	{"account create", "create an account with its owner; prints the account id", runAccountCreate},
	{"user create", "create a support user", runUserCreate},
	{"user password", "set a user's password and end their sessions", runUserPassword},
	{"user disable", "stop a user from signing in and end their sessions", runUserDisable},
	{"user enable", "let a disabled user sign in again", runUserEnable},
	{"package create", "add a package to the catalog", runPackageCreate},
	{"token create", "create a platform API token; prints it once", runTokenCreate},
	{"token list", "list the platform API tokens (never their secrets)", runTokenList},
	{"token revoke", "revoke a platform API token by its name", runTokenRevoke},
	{"verify", "check the ledger invariants; exits 1 naming each violation", runVerify},
	{"seed", "load a large synthetic data set into an account, for benchmarks", runSeed},
}

// run executes the command line args and returns the process's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWithInput(ctx, args, os.Stdin, stdout, stderr)
}

// runWithInput is run with stdin given.
func runWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{in: stdin, out: stdout, errs: stderr}
	if len(args) > 0 && isHelp(args[0]) {
		usage(stdout)
		return exitOK
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		fmt.Fprintf(stderr, "console: %v\n\n", err)
		usage(stderr)
		return exitUsage
	}
	return report(stderr, cmd.name, cmd.run(ctx, s, rest))
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// findCommand picks the subcommand named by the first one or two words;
// arguments that start with a flag go to serve.
func findCommand(args []string) (command, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return commands[0], args, nil
	}
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], nil
		}
	}
	for _, c := range commands {
		if group, _, ok := strings.Cut(c.name, " "); ok && group == args[0] {
			return command{}, nil, fmt.Errorf("unknown command %q; did you mean %q?", strings.Join(args[:min(2, len(args))], " "), c.name)
		}
	}
	return command{}, nil, fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: console [command] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data-dir (the embedded PostgreSQL) or uses DATABASE_URL when it is set.")
	fmt.Fprintf(w, "A command that sets a password reads it from stdin (--password-stdin) or %s, never needing the command line.\n", passwordEnv)
	fmt.Fprintln(w, "Run 'console COMMAND -h' for its flags.")
}

// usageError is a command line the command cannot run: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError ends a command with a code after it printed what it had to say.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// report prints err the way a person at a terminal needs it and returns the
// exit code: the store's own message for its errors, never a stack.
func report(stderr io.Writer, name string, err error) int {
	var usageErr usageError
	var exitErr exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "console %s: %s\nRun 'console %s -h' for its flags.\n", name, usageErr.msg, name)
		return exitUsage
	case errors.As(err, &exitErr):
		if exitErr.msg != "" {
			fmt.Fprintf(stderr, "console %s: %s\n", name, exitErr.msg)
		}
		return exitErr.code
	}
	if e, ok := store.AsError(err); ok {
		fmt.Fprintf(stderr, "console %s: %s\n", name, views.ErrorText(context.Background(), e)) // an operator's tool: English
		return exitFailure
	}
	fmt.Fprintf(stderr, "console %s: %v\n", name, err)
	return exitFailure
}

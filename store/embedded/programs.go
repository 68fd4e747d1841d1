package embedded

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// Programs are an installed PostgreSQL's programs, run the way Start runs
// its own: as the dedicated server account when this process is root,
// without PG* variables, in a session of their own. The tests that need
// more than one server (a primary and its streaming standby,
// store/storetest/standby.go) start theirs with them.
type Programs struct {
	c *Cluster // only bin, runAs and logf are set
}

// InstalledPrograms finds the installed PostgreSQL of major version major
// ("" for the newest), looking where Start looks, and never downloads one.
// As root it picks (or creates) the server account Start would use.
func InstalledPrograms(ctx context.Context, major string) (*Programs, error) {
	runAs, err := chooseServerUser("", func(string, ...any) {})
	if err != nil {
		return nil, err
	}
	for _, dir := range candidateBinDirs(ctx) {
		b, err := inspectBinDir(ctx, dir)
		if err != nil || (major != "" && b.major != major) {
			continue
		}
		p := &Programs{c: &Cluster{bin: b, runAs: runAs, logf: func(string, ...any) {}}}
		if runAs != nil {
			if err := checkUsable(b, runAs); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	want := major
	if want == "" {
		want = "any version"
	}
	return nil, fmt.Errorf("embedded: no installed PostgreSQL (%s) in `pg_config --bindir`, PATH or /usr/lib/postgresql/*/bin", want)
}

// Dir is the bin directory the programs are in.
func (p *Programs) Dir() string { return p.c.bin.dir }

// Version is the programs' full version, e.g. "15.20".
func (p *Programs) Version() string { return p.c.bin.version }

// Command prepares the program name of that directory (pg_ctl, initdb,
// pg_basebackup, ...) to run as the server account.
func (p *Programs) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return p.c.command(ctx, name, args...)
}

// Own makes a directory this process created the server account's, so
// that a server or pg_basebackup run by Command may write into it; when
// this process is not root the server runs as its own user and nothing
// changes.
func (p *Programs) Own(dir string) error {
	if p.c.runAs == nil {
		return nil
	}
	return os.Lchown(dir, int(p.c.runAs.uid), int(p.c.runAs.gid))
}

// CheckReachable makes sure the server account can reach dir (every
// directory above it searchable), as Start checks a data directory.
func (p *Programs) CheckReachable(dir string) error {
	if p.c.runAs == nil {
		return nil
	}
	return checkReachable(dir, p.c.runAs)
}

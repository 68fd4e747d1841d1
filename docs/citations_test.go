package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository, seen from this package's folder.
const root = ".."

var (
	// citation is (docs/<page>.md, "<Section>"), or the same for the README,
	// optionally naming a second section: "<Section>" and "<Other>".
	citation = regexp.MustCompile(`((?:docs/)?[A-Za-z0-9_]+\.md),\s+"([^"]+)"(?:\s+and\s+"([^"]+)")?`)
	// page is any mention of a docs page, cited with a section or not.
	page = regexp.MustCompile(`\bdocs/[A-Za-z0-9_]+\.md\b`)
	// spec is the specification the console was first built from; it is not
	// in the repository, so nothing may cite it.
	spec = regexp.MustCompile(`\bSPEC\b`)
	// commentBreak joins a comment wrapped over several lines into one, so
	// that a citation split across lines is read whole.
	commentBreak = regexp.MustCompile(`\n[\t ]*(?://|--|#|\*)?[\t ]*`)
	heading      = regexp.MustCompile(`(?m)^#{1,6}[\t ]+(.+?)[\t ]*$`)
	mdLink       = regexp.MustCompile(`\]\(([^)\s]*)\)`)
)

// sources are the files whose comments cite the docs: Go, templ, SQL, CSS,
// the Taskfile, the CI script and the README.
func sources(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch path {
			case filepath.Join(root, "docs"): // the pages, and this test
				return filepath.SkipDir
			}
			switch d.Name() {
			case ".git", "node_modules", "testdata", "data":
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		switch filepath.Ext(path) {
		case ".go", ".templ", ".sql", ".css", ".yml":
			files = append(files, rel)
		}
		if rel == "README.md" || rel == filepath.Join(".ci", "run") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// frozen are migrations applied before docs/ existed. Migrations are never
// edited once applied, so theirs are the only "SPEC section N" citations
// left; docs/README.md maps them.
var frozen = map[string]bool{
	"migrations/00001_ledger.sql":          true,
	"migrations/00002_console.sql":         true,
	"migrations/00004_product_devices.sql": true,
	"migrations/00006_access.sql":          true,
	"migrations/00007_alerts.sql":          true,
}

// headings reads the section titles of a Markdown page, nil when the page
// does not exist.
func headings(t *testing.T, page string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(page)))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(string(b), -1) {
		h[m[1]] = true
	}
	return h
}

func TestDocs_CitationsPointAtExistingSections(t *testing.T) {
	pages := map[string]map[string]bool{}
	cited := 0
	for _, f := range sources(t) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		text := commentBreak.ReplaceAllString(string(b), " ")
		if !frozen[filepath.ToSlash(f)] {
			for _, line := range strings.Split(string(b), "\n") {
				if spec.MatchString(line) {
					t.Errorf("%s cites the SPEC, which is not in the repository: %s", f, strings.TrimSpace(line))
				}
			}
		}
		for _, p := range page.FindAllString(text, -1) {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s names %s, which does not exist", f, p)
			}
		}
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			page := m[1]
			if _, ok := pages[page]; !ok {
				pages[page] = headings(t, page)
			}
			if pages[page] == nil {
				t.Errorf("%s cites %s, which does not exist: %s", f, page, m[0])
				continue
			}
			for _, section := range m[2:] {
				if section == "" {
					continue
				}
				cited++
				if !pages[page][section] {
					t.Errorf("%s cites %s, %q: no such heading", f, page, section)
				}
			}
		}
	}
	if cited == 0 {
		t.Error("found no citation at all; is the pattern still right?")
	}
}

// slug is the anchor GitHub gives a heading.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestDocs_LinksBetweenPagesResolve(t *testing.T) {
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join(root, "README.md"))
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target, anchor, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file := page
			if target != "" {
				file = filepath.Join(filepath.Dir(page), filepath.FromSlash(target))
			}
			body, err := os.ReadFile(file)
			if err != nil {
				if info, serr := os.Stat(file); serr == nil && info.IsDir() {
					continue
				}
				t.Errorf("%s links to %s, which does not exist", page, m[1])
				continue
			}
			if anchor == "" {
				continue
			}
			found := false
			for _, h := range heading.FindAllStringSubmatch(string(body), -1) {
				found = found || slug(h[1]) == anchor
			}
			if !found {
				t.Errorf("%s links to %s: no heading has that anchor", page, m[1])
			}
		}
	}
}

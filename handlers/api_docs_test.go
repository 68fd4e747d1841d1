package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docExample is one call of docs/api.md, "Examples": a curl command and the
// answer shown under it.
type docExample struct {
	line    int    // of the command, in docs/api.md
	command string // as written, continuation lines joined
	status  int
	header  http.Header
	body    string // "" when the page shows none
}

// fence is a fenced code block of docs/api.md: its language and text.
var fence = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```\n")

// docExamples reads the sh blocks that run curl and the http blocks after them.
func docExamples(t *testing.T) []docExample {
	t.Helper()
	page, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	blocks := fence.FindAllSubmatchIndex(page, -1)
	for i, b := range blocks {
		lang, text := string(page[b[2]:b[3]]), string(page[b[4]:b[5]])
		if lang != "sh" || !strings.HasPrefix(text, "curl ") {
			continue
		}
		line := bytes.Count(page[:b[4]], []byte("\n")) + 1
		if i+1 == len(blocks) || string(page[blocks[i+1][2]:blocks[i+1][3]]) != "http" {
			t.Fatalf("docs/api.md:%d: a curl example without the answer (an http block) after it", line)
		}
		x := docExample{line: line, command: strings.ReplaceAll(strings.TrimSpace(text), "\\\n", " ")}
		answer := string(page[blocks[i+1][4]:blocks[i+1][5]])
		x.status, x.header, x.body = parseHTTPAnswer(t, fmt.Sprintf("docs/api.md:%d", line), answer)
		out = append(out, x)
	}
	return out
}

// parseHTTPAnswer reads a status line, headers, and an optional body.
func parseHTTPAnswer(t *testing.T, where, answer string) (int, http.Header, string) {
	t.Helper()
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(answer)))
	statusLine, err := r.ReadLine()
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	fields := strings.Fields(statusLine)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "HTTP/") {
		t.Fatalf("%s: not a status line: %q", where, statusLine)
	}
	status, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	mime, err := r.ReadMIMEHeader()
	if err != nil && err.Error() != "EOF" {
		t.Fatalf("%s: headers: %v", where, err)
	}
	var body strings.Builder
	for {
		l, err := r.ReadLine()
		if err != nil {
			break
		}
		body.WriteString(l + "\n")
	}
	return status, http.Header(mime), strings.TrimSpace(body.String())
}

// The curl examples of docs/api.md, run as written against a test server
// with the page's account and a token: each answer is the one shown (the
// status, the headers shown, and the body, "…" standing for any text), and
// the answers shown are valid by the contract.
func TestAPIDocs_CurlExamplesAnswerAsDocumented(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs curl to run the examples of docs/api.md")
		}
		t.Skip("no curl: the examples of docs/api.md are not run")
	}
	examples := docExamples(t)
	if len(examples) < 10 {
		t.Fatalf("only %d curl examples in docs/api.md", len(examples))
	}
	calls := map[string]bool{}
	f := newAPI(t) // the page's account: owner@acme.example, id 1, 10 std-1y codes in eu-frankfurt
	srv := httptest.NewServer(f.srv)
	defer srv.Close()
	c := loadContract(t)
	for _, x := range examples {
		where := fmt.Sprintf("docs/api.md:%d", x.line)
		cmd := exec.Command("sh", "-c", x.command)
		cmd.Env = append(os.Environ(), "CONSOLE="+srv.URL, "TOKEN="+f.token, "PATH="+pathWith(curl))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %s: %v", where, x.command, err)
		}
		status, header, body := parseHTTPAnswer(t, where+" (the console's answer)", strings.ReplaceAll(string(out), "\r\n", "\n"))
		if status != x.status {
			t.Errorf("%s: status %d, the page shows %d: %s", where, status, x.status, body)
		}
		for name := range x.header {
			if got, want := header.Get(name), x.header.Get(name); got != want {
				t.Errorf("%s: %s %q, the page shows %q", where, name, got, want)
			}
		}
		if x.body != "" {
			if err := sameJSON(body, x.body); err != nil {
				t.Errorf("%s: the answer\n%s\nis not the one shown:\n%s\n(%v)", where, body, x.body, err)
			}
		}
		// The answer shown is valid by the contract too (the real one is checked by the server's middleware).
		req, reqBody := curlRequest(t, where, x.command)
		for path, item := range c.model.Paths.PathItems.FromOldest() {
			quoted := regexp.QuoteMeta(pathParams.ReplaceAllString(path, "\x00"))
			template := regexp.MustCompile("^/api/v1" + strings.ReplaceAll(quoted, "\x00", "[^/]+") + "$")
			if _, ok := item.GetOperations().Get(strings.ToLower(req.Method)); ok && template.MatchString(req.URL.Path) {
				calls[req.Method+" "+path] = true
			}
		}
		shown := header.Clone()
		for name := range x.header {
			shown.Set(name, x.header.Get(name))
		}
		shownBody := []byte(x.body)
		if x.body == "" || strings.Contains(x.body, "…") {
			shownBody = []byte(body)
		}
		for _, v := range c.violations(exchange{req: req, reqBody: reqBody, status: x.status, header: shown, body: shownBody}) {
			t.Errorf("%s: the answer shown breaks the contract: %s", where, v)
		}
	}
	// Every operation of the contract has an example.
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			if !calls[strings.ToUpper(method)+" "+path] {
				t.Errorf("docs/api.md has no curl example of %s %s", strings.ToUpper(method), path)
			}
		}
	}
}

// pathWith is PATH with curl's folder first.
func pathWith(curl string) string {
	dir := curl[:strings.LastIndex(curl, "/")]
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// sameJSON compares two JSON texts; in want, the string "…" matches any string.
func sameJSON(got, want string) error {
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return fmt.Errorf("the answer is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return fmt.Errorf("the page's answer is not JSON: %v", err)
	}
	return sameValue("$", g, w)
}

func sameValue(at string, g, w any) error {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok || len(gm) != len(w) {
			return fmt.Errorf("%s: %v, want %v", at, g, w)
		}
		for k, wv := range w {
			gv, ok := gm[k]
			if !ok {
				return fmt.Errorf("%s.%s is missing", at, k)
			}
			if err := sameValue(at+"."+k, gv, wv); err != nil {
				return err
			}
		}
		return nil
	case []any:
		ga, ok := g.([]any)
		if !ok || len(ga) != len(w) {
			return fmt.Errorf("%s: %v, want %v", at, g, w)
		}
		for i := range w {
			if err := sameValue(fmt.Sprintf("%s[%d]", at, i), ga[i], w[i]); err != nil {
				return err
			}
		}
		return nil
	case string:
		if gs, ok := g.(string); ok && (w == "…" || gs == w) {
			return nil
		}
	default:
		if fmt.Sprint(g) == fmt.Sprint(w) && fmt.Sprintf("%T", g) == fmt.Sprintf("%T", w) {
			return nil
		}
	}
	return fmt.Errorf("%s: %v, want %v", at, g, w)
}

// curlRequest rebuilds the request a curl command of the page sends (its
// method, URL, -H headers and -d body), for the contract check.
func curlRequest(t *testing.T, where, command string) (*http.Request, []byte) {
	t.Helper()
	args := shellWords(t, where, command)
	method, target, body := http.MethodGet, "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			name, value, _ := strings.Cut(args[i], ":")
			header.Add(name, strings.TrimSpace(value))
		case "-d":
			i++
			body = args[i]
		default:
			if !strings.HasPrefix(a, "-") {
				target = a
			}
		}
	}
	req := httptest.NewRequest(method, strings.TrimPrefix(target, "CONSOLE"), strings.NewReader(body))
	req.Header = header
	return req, []byte(body)
}

// shellWords splits a command as sh would, for the page's simple commands:
// quotes, with $CONSOLE and $TOKEN standing for themselves without the $.
func shellWords(t *testing.T, where, command string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(command); i++ {
		switch ch := command[i]; {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(command[i+1:], ch)
			if end < 0 {
				t.Fatalf("%s: unbalanced quote in %s", where, command)
			}
			cur.WriteString(command[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	for i, w := range words {
		words[i] = strings.NewReplacer("$CONSOLE", "CONSOLE", "$TOKEN", "acc_token").Replace(w)
	}
	return words
}

package views

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"activation-console/store"
)

// refusalCalls are the constructors of the store's refusals and where their
// message id is among the arguments; the placeholders follow it in pairs.
var refusalCalls = map[string]int{"invalid": 1, "Invalid": 1, "conflict": 1, "notFoundErr": 1, "newError": 2}

var storeMessageID = regexp.MustCompile(`"(err\.[a-z0-9_]+)"`)

// TestErrorText_EveryStoreMessageExistsWithItsPlaceholders: the store names
// its refusals' messages by id rather than through T, so the completeness
// test's search for T calls does not see them. Every id the code names
// must be in both languages, and every refusal built with a literal id must
// pass exactly the placeholders its English message has; a refusal is
// built only through the constructors, so that none escapes the check.
func TestErrorText_EveryStoreMessageExistsWithItsPlaceholders(t *testing.T) {
	en, zh := messagesOf(t, store.English), messagesOf(t, store.Chinese)
	checked := 0
	for path, src := range sourceFiles(t) {
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			continue
		}
		inStore := strings.Contains(path, "store/") && !strings.Contains(path, "storetest")
		if inStore {
			for _, m := range storeMessageID.FindAllStringSubmatch(src, -1) {
				if en[m[1]] == nil || zh[m[1]] == nil {
					t.Errorf("%s names %s, which is missing in English or Chinese", path, m[1])
				}
			}
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if inStore && isErrorType(n.Type) && !strings.HasSuffix(path, "store/errors.go") {
					t.Errorf("%s builds an Error literally; use invalid, conflict or notFoundErr, whose message ids are checked", path)
				}
			case *ast.CallExpr:
				name, at := refusalCall(n, inStore)
				if at < 0 || len(n.Args) <= at {
					return true
				}
				id, ok := stringLit(n.Args[at])
				if !ok {
					return true // chosen by a function (expiredMsg, keyForms), whose literals the scan above checks
				}
				checked++
				m := en[id]
				if m == nil || zh[id] == nil {
					t.Errorf("%s: %s(%q): no such message in English or Chinese", path, name, id)
					return true
				}
				args, names := n.Args[at+1:], []string{}
				for i := 0; i+1 < len(args); i += 2 {
					s, ok := stringLit(args[i])
					if !ok {
						t.Errorf("%s: %s(%q): placeholder names must be literal strings", path, name, id)
					}
					names = append(names, s)
				}
				slices.Sort(names)
				if want := placeholders(m); !slices.Equal(names, want) {
					t.Errorf("%s: %s(%q) passes %v, the message has %v", path, name, id, names, want)
				}
			}
			return true
		})
	}
	t.Logf("checked %d refusals", checked)
	if checked < 50 {
		t.Errorf("checked %d refusals; the store builds many more, so the search is broken", checked)
	}
}

func refusalCall(call *ast.CallExpr, inStore bool) (string, int) {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		if at, ok := refusalCalls[f.Name]; ok && inStore {
			return f.Name, at
		}
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && x.Name == "store" && f.Sel.Name == "Invalid" {
			return "store.Invalid", refusalCalls["Invalid"]
		}
	}
	return "", -1
}

func isErrorType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Error"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "store" && e.Sel.Name == "Error"
	}
	return false
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestErrorText_WordsARefusalInTheLanguage: counts with separators and
// their plural, typed input quoted and escaped, Chinese as a sentence of
// its own, an unknown id visible.
func TestErrorText_WordsARefusalInTheLanguage(t *testing.T) {
	en := WithLanguage(context.Background(), store.English)
	zh := WithLanguage(context.Background(), store.Chinese)
	codes := func(n int64) *store.Error {
		return &store.Error{Kind: store.KindConflict, Code: store.CodeNotEnoughCodes, Msg: "err.not_enough_codes", Args: map[string]any{"Count": n, "Package": "P-1"}}
	}
	typed := &store.Error{Kind: store.KindNotFound, Code: store.CodeUnknownPackage, Msg: "err.no_package", Args: map[string]any{"Package": store.Quoted("a\"b\n<c>")}}
	for _, c := range []struct {
		ctx  context.Context
		err  *store.Error
		want string
	}{
		{en, codes(1234), "only 1,234 unassigned codes of package P-1 are left; enter at most 1,234"},
		{en, codes(1), "only 1 unassigned code of package P-1 is left; enter at most 1"},
		{zh, codes(1234), "套餐 P-1 只剩 1,234 个未分配的激活码，最多只能输入 1,234。"},
		{en, typed, `there is no package "a\"b\n<c>"`},
		{zh, typed, `套餐 "a\"b\n<c>" 不存在。`},
		{context.Background(), &store.Error{Msg: "err.no_such_message"}, "[[err.no_such_message]]"},
	} {
		if got := ErrorText(c.ctx, c.err); got != c.want {
			t.Errorf("ErrorText(%s, %s) = %q, want %q", LanguageOf(c.ctx), c.err.Msg, got, c.want)
		}
	}
	if got := Sentence(ErrorText(zh, typed)); got != `套餐 "a\"b\n<c>" 不存在。` {
		t.Errorf("a Chinese sentence gets no period of another script: %q", got)
	}
	if got := typed.Error(); got != "store: unknown_package: err.no_package Package=a\"b\n<c>" {
		t.Errorf("Error() for logs = %q", got)
	}
}

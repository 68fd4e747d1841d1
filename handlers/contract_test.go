package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"activation-console/docs"
	"activation-console/handlers"
)

// The API's contract (docs/api.md, "The contract"): docs/openapi.json,
// loaded once for all tests. Every API request a test fixture's server
// answers is checked against it by checkContract, the middleware newAPI
// installs.

// apiContract is the loaded document and its validators.
type apiContract struct {
	model     *v3.Document
	validator validator.Validator
	errSchema *base.Schema // components.schemas.Error
	mu        sync.Mutex   // one validation at a time: the validator's caches are shared
}

var (
	contractOnce   sync.Once
	contractLoaded *apiContract
	contractErr    error
)

// loadContract parses docs/openapi.json and builds its validator.
func loadContract(tb testing.TB) *apiContract {
	tb.Helper()
	contractOnce.Do(func() {
		doc, err := libopenapi.NewDocument(docs.OpenAPI)
		if err != nil {
			contractErr = fmt.Errorf("docs/openapi.json: %w", err)
			return
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			contractErr = fmt.Errorf("docs/openapi.json: %w", err)
			return
		}
		// Formats (date-time) are asserted too: the API promises RFC 3339.
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			contractErr = fmt.Errorf("docs/openapi.json: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			contractErr = fmt.Errorf("docs/openapi.json is not a valid OpenAPI document: %s", describe(verrs))
			return
		}
		errProxy := model.Model.Components.Schemas.GetOrZero("Error")
		if errProxy == nil {
			contractErr = fmt.Errorf("docs/openapi.json has no components.schemas.Error")
			return
		}
		contractLoaded = &apiContract{model: &model.Model, validator: v, errSchema: errProxy.Schema()}
	})
	if contractErr != nil {
		tb.Fatal(contractErr)
	}
	return contractLoaded
}

// exchange is one request and its answer, as the contract sees them.
type exchange struct {
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// violations says how an exchange breaks the contract:
//   - the answer to a documented operation must be one of its documented
//     responses, headers and body (error bodies included);
//   - a request the contract refuses must not succeed (the document is no
//     stricter than the console: what the console accepts, it documents);
//   - a request to a path or method the document lacks must get the API's
//     error shape with 401 (no token: nothing is revealed) or 404.
func (c *apiContract) violations(x exchange) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	req := x.req.Clone(x.req.Context())
	req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	req.ContentLength = int64(len(x.reqBody))
	resp := &http.Response{StatusCode: x.status, Header: x.header.Clone(), Body: io.NopCloser(bytes.NewReader(x.body)), Request: req}
	what := fmt.Sprintf("%s %s → %d %s", x.req.Method, x.req.URL.RequestURI(), x.status, clipped(x.body))

	var out []string
	if ok, errs := c.validator.ValidateHttpResponse(req, resp); !ok {
		if ambiguous(errs) {
			// A path with dot segments or escaped slashes, which routers may
			// read as different operations: the console must refuse it.
			if x.status < 400 || x.status >= 500 {
				out = append(out, fmt.Sprintf("%s: an ambiguous path answered %d, want a refusal (4xx)", what, x.status))
			}
			if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(c.errSchema, x.body); !ok {
				out = append(out, fmt.Sprintf("%s: not the API's error shape: %s", what, describe(errs)))
			}
			return out
		}
		if undocumented(errs) {
			if x.status != http.StatusUnauthorized && x.status != http.StatusNotFound {
				out = append(out, fmt.Sprintf("%s: an undocumented path or method answered %d, want 401 or 404", what, x.status))
			}
			if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(c.errSchema, x.body); !ok {
				out = append(out, fmt.Sprintf("%s: not the API's error shape: %s", what, describe(errs)))
			}
			return out
		}
		out = append(out, fmt.Sprintf("%s: the answer breaks the contract: %s", what, describe(errs)))
	}
	req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	if ok, errs := c.validator.ValidateHttpRequest(req); !ok && x.status < 300 {
		out = append(out, fmt.Sprintf("%s: the console accepted a request the contract refuses: %s", what, describe(errs)))
	}
	return out
}

// undocumented tells whether the validator found no operation for the request.
func undocumented(errs []*liberrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation &&
			(e.ValidationSubType == helpers.ValidationMissing || e.ValidationSubType == helpers.ValidationMissingOperation) {
			return true
		}
	}
	return false
}

// ambiguous tells whether the validator found the request's path ambiguous.
func ambiguous(errs []*liberrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation && e.ValidationSubType == helpers.ValidationAmbiguousPath {
			return true
		}
	}
	return false
}

// describe words validation errors, with the schema's reasons.
func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\tat %q: %s", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}

// clipped is a body short enough for a failure message.
func clipped(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// checkContract is an echo middleware, run before routing, that checks every
// API exchange of the server it is installed on against the contract and
// fails tb on a violation. It changes nothing the server does: it copies
// what the handlers read of the request and what they write.
func checkContract(tb testing.TB) echo.MiddlewareFunc {
	return checkContractReporting(tb, func(v string) { tb.Error(v) })
}

// checkContractReporting is checkContract reporting to report, for fuzz
// targets, which must fail their own *testing.T.
func checkContractReporting(tb testing.TB, report func(violation string)) echo.MiddlewareFunc {
	c := loadContract(tb)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			req := ec.Request()
			if !strings.HasPrefix(req.URL.Path, "/api/") {
				return next(ec)
			}
			var reqBody bytes.Buffer
			original := req.Body
			if original != nil {
				req.Body = readCloser{io.TeeReader(original, &reqBody), original}
			}
			w := &teeWriter{ResponseWriter: ec.Response().Writer}
			ec.Response().Writer = w
			if err := next(ec); err != nil {
				ec.Error(err) // as echo would after the middleware; then the answer is complete
			}
			if original != nil {
				// What the handler left unread (a 401 reads no body): the request as the client sent it.
				io.Copy(&reqBody, io.LimitReader(original, 1<<20))
			}
			for _, v := range c.violations(exchange{req: req, reqBody: reqBody.Bytes(), status: ec.Response().Status,
				header: ec.Response().Header(), body: w.body.Bytes()}) {
				report("contract (docs/openapi.json): " + v)
			}
			return nil
		}
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// teeWriter keeps a copy of the body written through it.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newServer is the console's server with the contract check installed: the
// tests' fixtures build their servers with it, so every API answer any test
// receives is checked against docs/openapi.json.
func newServer(tb testing.TB, cfg handlers.Config) *echo.Echo {
	e := handlers.NewServer(handlers.New(cfg))
	e.Pre(checkContract(tb))
	return e
}

// Package docs is the console's documentation: the Markdown pages in this
// folder say what the console does and why. The code cites them as
// (docs/<page>.md, "<Section>"), and this package's test keeps every such
// citation, and every link between the pages, pointing at a section that
// exists.
//
// It also holds the platform API's contract, openapi.json (docs/api.md,
// "The contract"), which the console serves at /api/v1/openapi.json.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the platform API, as served.
//
//go:embed openapi.json
var OpenAPI []byte

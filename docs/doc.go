// Package docs is the console's documentation: the Markdown pages in this
// folder say what the console does and why. The code cites them as
// (docs/<page>.md, "<Section>"), and this package's test keeps every such
// citation, and every link between the pages, pointing at a section that
// exists.
package docs

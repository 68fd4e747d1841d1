// Package static serves the console's stylesheet and scripts from the
// binary. Each file's URL carries a hash of its content, so browsers may keep
// it for a year and still never run a stale copy.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

// hashes maps a file name to the first hex digits of its content hash.
var hashes = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:])[:10]
	}
	return m
}()

// Path is the URL of an embedded file, e.g. /static/3f2a9c01de/app.css.
func Path(name string) string {
	return "/static/" + hashes[name] + "/" + name
}

// Handler serves /static/<hash>/<name>. A hash that is not the file's
// current one still gets the current file, but without the long cache life.
func Handler() http.Handler {
	fileServer := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/static/")
		hash, name, ok := strings.Cut(rest, "/")
		if !ok || hashes[name] == "" {
			http.NotFound(w, r)
			return
		}
		if hash == hashes[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		fileServer.ServeHTTP(w, r2)
	})
}

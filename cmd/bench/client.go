package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// browser is one signed-in person: a cookie jar over a keep-alive client.
type browser struct {
	base   string
	client *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the sign-in form, as a browser does.
func signIn(base, email, password string) (*browser, error) {
	jar, _ := cookiejar.New(nil)
	b := &browser{base: base, client: &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	resp, err := b.client.Get(base + signInPath)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("sign-in page: no csrf field")
	}
	resp, err = b.client.PostForm(base+signInPath, url.Values{"email": {email}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == signInPath {
		return nil, fmt.Errorf("sign-in as %s: status %d at %s", email, resp.StatusCode, resp.Request.URL.Path)
	}
	return b, nil
}

// timing is one request's latency as the client saw it and as the server reported it.
type timing struct {
	client, server time.Duration
	status         int
	bytes          int64
}

// get requests a page, as htmx does when htmx is true, and reads it whole.
func (b *browser) get(path string, htmx bool) (timing, error) {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "results")
	}
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return timing{}, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t := timing{client: time.Since(start), server: serverTiming(resp.Header), status: resp.StatusCode, bytes: n}
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return t, err
}

// serverTiming reads the console's Server-Timing: app;dur=<milliseconds>.
func serverTiming(h http.Header) time.Duration {
	_, v, ok := strings.Cut(h.Get("Server-Timing"), "dur=")
	if !ok {
		return 0
	}
	ms, _ := strconv.ParseFloat(v, 64)
	return time.Duration(ms * float64(time.Millisecond))
}

// cookies are the browser's cookies for the console, to hand to the in-process one.
func (b *browser) cookies() []*http.Cookie {
	u, _ := url.Parse(b.base + "/")
	return b.client.Jar.Cookies(u)
}

// Package journeys_test drives the console in a real browser (Debian's
// Chromium through chromedp) the way a person uses it: sign in, read the
// figures, open dialogs, type, press keys. Every page and dialog is checked
// with axe-core and photographed.
package journeys_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"activation-console/store/storetest"
)

// TestMain closes the one browser of the package before it releases the
// database server, so that no tab still talks to a console mid-shutdown.
func TestMain(m *testing.M) {
	code := m.Run()
	closeBrowser()
	storetest.Cleanup()
	os.Exit(code)
}

// The browser is started once, on the first test that needs it, and shared
// by every test: each test gets its own browser context (like an incognito
// window), so cookies never leak from one journey to the next.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	allocCancel   context.CancelFunc
	browserErr    error
	profileDir    string

	// tabs bounds the tabs open at once: two cores run the console, the
	// database and Chromium, and more tabs only make every wait longer.
	tabs = make(chan struct{}, 2)
)

// errNoChromium says what to install; CI turns it into a failure.
var errNoChromium = errors.New("Chromium not installed: apt-get install -y chromium")

// chromiumPath finds Debian's Chromium.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}

func startBrowser() {
	path, err := chromiumPath()
	if err != nil {
		browserErr = err
		return
	}
	profileDir, err = os.MkdirTemp("", "journeys-chromium-")
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profileDir),
		chromedp.WindowSize(1366, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox on; CI runs as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	var allocCtx context.Context
	allocCtx, allocCancel = chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, browserCancel = chromedp.NewContext(allocCtx)
	// The first Do starts the browser; its life is bound to browserCtx.
	if err := chromedp.Do(browserCtx); err != nil {
		browserErr = fmt.Errorf("starting %s: %w", path, err)
	}
}

// browser returns the shared browser, starting it on first use. Without
// Chromium the test is skipped on a developer's machine and fails in CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a browser: not in -short (task test:short)")
	}
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		if errors.Is(browserErr, errNoChromium) && os.Getenv("CI") == "" {
			t.Skip(browserErr.Error())
		}
		t.Fatalf("browser journeys need Chromium: %v", browserErr)
	}
	return browserCtx
}

func closeBrowser() {
	if browserCancel != nil {
		browserCancel()
	}
	if allocCancel != nil {
		allocCancel() // waits for the browser process to exit
	}
	if profileDir != "" {
		os.RemoveAll(profileDir)
	}
}

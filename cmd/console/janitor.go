package main

import (
	"context"
	"log/slog"
	"time"

	"activation-console/store"
)

// janitorInterval is how often the janitor prunes.
const janitorInterval = 10 * time.Minute

// janitor deletes, at start and then every interval until ctx is cancelled,
// the sessions that can no longer be used and the sign-in failures the
// throttle no longer counts (store.Prune), so neither table grows for ever.
// Every instance may run it: the deletes do not conflict.
func janitor(ctx context.Context, st *store.Store, idle, lifetime, interval time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		stats, err := st.Prune(ctx, idle, lifetime)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("pruning sessions and sign-in failures failed; retrying at the next interval", "err", err)
		case stats.Sessions+stats.SignInFailures+stats.WebhookEvents > 0:
			log.Info("pruned", "sessions", stats.Sessions, "sign_in_failures", stats.SignInFailures, "webhook_events", stats.WebhookEvents)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

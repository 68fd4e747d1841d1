package main

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// percentile is the q-th quantile (0..1) of durations, nearest rank.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
}

// num formats a number with thousands separators.
func num(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// memory samples a process's resident memory while the bench runs, and
// keeps the peak of each phase.
type memory struct {
	pid   int
	mu    sync.Mutex
	phase string
	peaks map[string]int64 // kB
	stop  chan struct{}
}

var vmRSS = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)

func rssKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	m := vmRSS.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

func watchMemory(pid int) *memory {
	m := &memory{pid: pid, peaks: map[string]int64{}, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				kb := rssKB(pid)
				m.mu.Lock()
				if kb > m.peaks[m.phase] {
					m.peaks[m.phase] = kb
				}
				m.mu.Unlock()
			}
		}
	}()
	return m
}

// in starts a phase and returns the resident memory at its start.
func (m *memory) in(phase string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase = phase
	return rssKB(m.pid)
}

func (m *memory) peak(phase string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peaks[phase]
}

func mib(kb int64) string { return strconv.FormatFloat(float64(kb)/1024, 'f', 0, 64) + " MiB" }

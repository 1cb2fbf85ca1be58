// kho-loadgen: a lean HTTP load generator for bench/bench_workers.py.
//
// It GETs base+path for paths drawn at random from a file (one a line), from -c
// connections for -d, with the given headers, and prints one JSON line: the count of
// requests, of non-2xx answers, of transport errors, and every latency in ms. Go's own
// net/http only, so `go build` needs no module download.
//
// With -q R the connections together send R requests a second on a fixed schedule, and
// each latency runs from the time its request was due, not from when a busy connection
// got round to sending it: a server that falls behind shows it in the percentiles.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type result struct {
	Requests  int       `json:"requests"`
	Errors    int       `json:"errors"`
	Failures  int       `json:"failures"`
	Seconds   float64   `json:"seconds"`
	Latencies []float64 `json:"latencies"`
}

func main() {
	base := flag.String("base", "http://127.0.0.1:8000", "server URL")
	pathsFile := flag.String("paths", "", "file of request paths, one a line")
	conns := flag.Int("c", 16, "concurrent connections")
	duration := flag.Duration("d", 10*time.Second, "how long to send requests")
	rate := flag.Float64("q", 0, "requests a second in all (0: as fast as the server answers)")
	var hs headers
	flag.Var(&hs, "H", "a header 'Name: value' (repeatable)")
	flag.Parse()

	raw, err := os.ReadFile(*pathsFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kho-loadgen:", err)
		os.Exit(2)
	}
	var paths []string
	scanner := bufio.NewScanner(strings.NewReader(string(raw)))
	for scanner.Scan() {
		if line := strings.TrimSpace(scanner.Text()); line != "" {
			paths = append(paths, line)
		}
	}
	if len(paths) == 0 {
		fmt.Fprintln(os.Stderr, "kho-loadgen: no paths in", *pathsFile)
		os.Exit(2)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}

	var mu sync.Mutex
	var out result
	start := time.Now()
	until := start.Add(*duration)
	var wg sync.WaitGroup
	for n := 0; n < *conns; n++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			var mine []float64
			errs, fails := 0, 0
			var interval time.Duration
			due := start
			if *rate > 0 {
				interval = time.Duration(float64(*conns) / *rate * float64(time.Second))
				due = start.Add(time.Duration(rng.Int63n(int64(interval))))
			}
			for time.Now().Before(until) {
				if interval > 0 {
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
					if !due.Before(until) {
						break
					}
				}
				req, _ := http.NewRequest("GET", *base+paths[rng.Intn(len(paths))], nil)
				for _, h := range hs {
					if name, value, ok := strings.Cut(h, ":"); ok {
						req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
					}
				}
				t0 := time.Now()
				if interval > 0 {
					t0 = due
					due = due.Add(interval)
				}
				resp, err := client.Do(req)
				if err != nil {
					errs++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000.0)
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					fails++
				}
			}
			mu.Lock()
			out.Latencies = append(out.Latencies, mine...)
			out.Errors += errs
			out.Failures += fails
			mu.Unlock()
		}(time.Now().UnixNano() + int64(n))
	}
	wg.Wait()
	out.Seconds = time.Since(start).Seconds()
	out.Requests = len(out.Latencies)
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

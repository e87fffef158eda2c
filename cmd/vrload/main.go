// Command vrload drives validate + redeem against a running vendrule server.
// It sets up through the API a location, N machines with device keys (in
// parallel) and a campaign whose vouchers are generated in bulk
// (totalVouchers), then lets N devices validate and redeem concurrently for
// a while, on a voucher each (-mode distinct) or on one hot gift voucher
// (-mode hot), and prints redeems/s, pairs/s and p50/p99 of each call.
//
//	vrload -url http://localhost:8080 -user admin -password secret -devices 32 -duration 20s -mode hot
//
// The unit to compare with pgbench's TPS (scripts/pgbench) is redeems/s: a
// redeem is one transaction doing the invariant-guarded UPDATE and the
// redemption INSERT, as pgbench's transaction does. With -validate (the
// default) every redeem is preceded by a validate, so redeems/s = pairs/s.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"
)

type config struct {
	url, token, user, password, mode string
	devices                          int
	duration, warmup                 time.Duration
	validate                         bool
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://localhost:8080", "server address")
	flag.StringVar(&c.token, "token", "", "admin access token (or -user and -password)")
	flag.StringVar(&c.user, "user", "", "admin username")
	flag.StringVar(&c.password, "password", "", "admin password")
	flag.StringVar(&c.mode, "mode", "distinct", "distinct (a voucher per device) or hot (one gift voucher)")
	flag.IntVar(&c.devices, "devices", 32, "concurrent devices")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long to measure")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "load before measuring (not counted)")
	flag.BoolVar(&c.validate, "validate", true, "validate before each redeem (false: redeem only)")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as vendrule serve: less of the shared CPU on garbage collection
	}
	if c.mode != "distinct" && c.mode != "hot" {
		fmt.Fprintln(os.Stderr, "vrload: -mode is distinct or hot")
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "vrload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	cl := &client{base: c.url + "/api/v1", http: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}}
	if c.token == "" {
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		if err := cl.call(ctx, "", "POST", "/auth/login", map[string]string{"username": c.user, "password": c.password}, &tk); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		c.token = tk.AccessToken
	}
	start := time.Now()
	devs, err := setup(ctx, cl, c)
	if err != nil {
		return err
	}
	fmt.Printf("setup %d devices in %v\n", len(devs), time.Since(start).Round(time.Millisecond))
	fmt.Printf("mode %s, %d devices, %v (+%v warm-up), validate %v\n", c.mode, c.devices, c.duration, c.warmup, c.validate)
	drive(ctx, cl, devs, c)
	return nil
}

// dev is one simulated device.
type dev struct{ host, key, code string }

// setup creates the location, the campaign with its vouchers and the
// machines with their keys.
func setup(ctx context.Context, cl *client, c config) ([]dev, error) {
	tag := fmt.Sprint(time.Now().UnixNano())
	var loc idResp
	err := cl.call(ctx, c.token, "POST", "/locations", map[string]any{"name": "vrload " + tag, "address": "a",
		"postcode": "p", "city": "c", "country": "NL"}, &loc)
	if err != nil {
		return nil, fmt.Errorf("create location: %w", err)
	}
	codes, err := vouchers(ctx, cl, c, tag)
	if err != nil {
		return nil, err
	}
	devs := make([]dev, c.devices)
	errs := make(chan error, c.devices)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := newDevice(ctx, cl, c.token, loc.ID, fmt.Sprintf("vrl-%s-%d", tag, i))
			if err != nil {
				errs <- err
				return
			}
			d.code = codes[i%len(codes)]
			devs[i] = d
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return devs, nil
}

// vouchers creates a campaign that generates a voucher per device (one
// gift voucher in hot mode) and returns the codes.
func vouchers(ctx context.Context, cl *client, c config, tag string) ([]string, error) {
	camp := map[string]any{"name": "vrload " + tag, "type": "discount", "voucherValue": 10, "totalVouchers": c.devices}
	if c.mode == "hot" {
		camp = map[string]any{"name": "vrload " + tag, "type": "gift", "voucherValue": 10_000_000_000, "totalVouchers": 1} // the largest value (models.MaxAmount)
	}
	var cid idResp
	if err := cl.call(ctx, c.token, "POST", "/campaigns", camp, &cid); err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	for {
		var st struct{ Status, GenerationError string }
		if err := cl.call(ctx, c.token, "GET", fmt.Sprintf("/campaigns/%d", cid.ID), nil, &st); err != nil {
			return nil, fmt.Errorf("campaign: %w", err)
		}
		if st.Status == "active" {
			break
		}
		if st.Status == "failed" {
			return nil, fmt.Errorf("campaign generation failed: %s", st.GenerationError)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var codes []string
	for skip := 0; ; skip += 1000 {
		var page []struct{ Code string }
		err := cl.call(ctx, c.token, "GET", fmt.Sprintf("/campaigns/%d/vouchers?limit=1000&skip=%d", cid.ID, skip), nil, &page)
		if err != nil {
			return nil, fmt.Errorf("list vouchers: %w", err)
		}
		for _, v := range page {
			codes = append(codes, v.Code)
		}
		if len(page) < 1000 {
			break
		}
	}
	if len(codes) == 0 {
		return nil, errors.New("the campaign has no vouchers")
	}
	return codes, nil
}

func newDevice(ctx context.Context, cl *client, token string, loc int64, host string) (dev, error) {
	var m idResp
	if err := cl.call(ctx, token, "POST", "/machines", map[string]any{"name": host, "hostname": host, "location": loc}, &m); err != nil {
		return dev{}, fmt.Errorf("create machine: %w", err)
	}
	var key struct{ APIKey string }
	if err := cl.call(ctx, token, "POST", fmt.Sprintf("/machines/%d/apikey", m.ID), nil, &key); err != nil {
		return dev{}, fmt.Errorf("machine key: %w", err)
	}
	return dev{host: host, key: key.APIKey}, nil
}

// stats are one device's measurements.
type stats struct {
	validate, redeem, pair []time.Duration
	redeems, failed        int
}

// drive runs the devices through the warm-up and the measured window and
// prints the figures. A pair counts when it starts and ends in the window.
func drive(ctx context.Context, cl *client, devs []dev, c config) {
	from := time.Now().Add(c.warmup)
	to := from.Add(c.duration)
	var mu sync.Mutex
	var all stats
	var wg sync.WaitGroup
	for i, dv := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := loop(ctx, cl, dv, i, c.validate, from, to)
			mu.Lock()
			all.validate = append(all.validate, s.validate...)
			all.redeem = append(all.redeem, s.redeem...)
			all.pair = append(all.pair, s.pair...)
			all.redeems += s.redeems
			all.failed += s.failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	report(&all, c)
}

// loop validates and redeems until the window closes. The bodies are
// built by hand and the answers decoded into small structs: the load
// generator shares the machine with the server and should cost it little.
func loop(ctx context.Context, cl *client, dv dev, n int, validate bool, from, to time.Time) stats {
	var s stats
	host, _ := json.Marshal(dv.host)
	validateBody := []byte(`{"deviceId":` + string(host) + `}`)
	for i := 0; ; i++ {
		start := time.Now()
		if !start.Before(to) {
			return s
		}
		var v struct {
			Valid  bool   `json:"valid"`
			Reason string `json:"reason"`
		}
		var err error
		if validate {
			err = cl.post(ctx, dv.key, "/voucher/"+dv.code+"/validate", validateBody, &v)
			if err == nil && !v.Valid {
				err = fmt.Errorf("not valid: %s", v.Reason)
			}
		}
		mid := time.Now()
		var r struct {
			Redeemed bool   `json:"redeemed"`
			Reason   string `json:"reason"`
		}
		if err == nil {
			order := strconv.Itoa(n) + "-" + strconv.Itoa(i) + "-" + strconv.FormatInt(start.UnixNano(), 10)
			err = cl.post(ctx, dv.key, "/voucher/"+dv.code+"/redeem", redeemBody(host, order), &r)
		}
		end := time.Now()
		if start.Before(from) || end.After(to) {
			continue
		}
		if err != nil || !r.Redeemed {
			s.failed++
			if s.failed == 1 {
				fmt.Fprintf(os.Stderr, "vrload: device %d: %v %+v\n", n, err, r)
			}
			continue
		}
		s.redeems++
		if validate {
			s.validate = append(s.validate, mid.Sub(start))
		}
		s.redeem = append(s.redeem, end.Sub(mid))
		s.pair = append(s.pair, end.Sub(start))
	}
}

// redeemBody is the redeem request for a 1.00 order, asking for 0.01;
// host is JSON already, order is digits and dashes.
func redeemBody(host []byte, order string) []byte {
	return []byte(`{"deviceId":` + string(host) + `,"order":{"id":"` + order + `","amount":100},"demand":{"amount":1}}`)
}

func report(s *stats, c config) {
	secs := c.duration.Seconds()
	pairs := "- (redeem only)"
	if c.validate {
		pairs = fmt.Sprintf("%.0f", float64(len(s.pair))/secs)
	}
	fmt.Printf("redeems/s %.0f  pairs/s %s  (redeems %d, failed %d in %v)\n",
		float64(s.redeems)/secs, pairs, s.redeems, s.failed, c.duration)
	if c.validate {
		fmt.Printf("validate p50 %v p99 %v\n", pct(s.validate, 0.50), pct(s.validate, 0.99))
	}
	fmt.Printf("redeem   p50 %v p99 %v\n", pct(s.redeem, 0.50), pct(s.redeem, 0.99))
	if c.validate {
		fmt.Printf("pair     p50 %v p99 %v\n", pct(s.pair, 0.50), pct(s.pair, 0.99))
	}
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(10 * time.Microsecond)
}

type idResp struct {
	ID int64 `json:"id"`
}

// client is a small JSON client of the API.
type client struct {
	base string
	http *http.Client
}

func (c *client) call(ctx context.Context, token, method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return c.do(ctx, token, method, path, b, out)
}

// post sends a body that is JSON already.
func (c *client) post(ctx context.Context, token, path string, body []byte, out any) error {
	return c.do(ctx, token, "POST", path, body, out)
}

func (c *client) do(ctx context.Context, token, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return errors.New(resp.Status + ": " + string(raw))
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Command vrload drives validate + redeem against a running vendrule server:
// it creates a location, N machines with device keys and a campaign through
// the API, then lets N devices validate and redeem concurrently for a while,
// on a voucher each (-mode distinct) or on one hot gift voucher (-mode hot),
// and prints throughput and latency percentiles.
//
//	vrload -url http://localhost:8080 -user admin -password secret -devices 32 -duration 20s -mode hot
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
	"slices"
	"sync"
	"time"
)

type config struct {
	url, token, user, password, mode string
	devices                          int
	duration                         time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://localhost:8080", "server address")
	flag.StringVar(&c.token, "token", "", "admin access token (or -user and -password)")
	flag.StringVar(&c.user, "user", "", "admin username")
	flag.StringVar(&c.password, "password", "", "admin password")
	flag.StringVar(&c.mode, "mode", "distinct", "distinct (a voucher per device) or hot (one gift voucher)")
	flag.IntVar(&c.devices, "devices", 32, "concurrent devices")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long to drive load")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "vrload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	cl := &client{base: c.url + "/api/v1", http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	if c.token == "" {
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		if err := cl.call(ctx, "", "POST", "/auth/login", map[string]string{"username": c.user, "password": c.password}, &tk); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		c.token = tk.AccessToken
	}
	devs, err := setup(ctx, cl, c)
	if err != nil {
		return err
	}
	fmt.Printf("mode %s, %d devices, %v\n", c.mode, c.devices, c.duration)
	return drive(ctx, cl, devs, c.duration)
}

// dev is one simulated device.
type dev struct{ host, key, code string }

func setup(ctx context.Context, cl *client, c config) ([]dev, error) {
	tag := fmt.Sprint(time.Now().UnixNano())
	var loc idResp
	err := cl.call(ctx, c.token, "POST", "/locations", map[string]any{"name": "vrload " + tag, "address": "a",
		"postcode": "p", "city": "c", "country": "NL"}, &loc)
	if err != nil {
		return nil, fmt.Errorf("create location: %w", err)
	}
	camp := map[string]any{"name": "vrload " + tag, "type": "discount", "voucherValue": 10}
	if c.mode == "hot" {
		camp = map[string]any{"name": "vrload " + tag, "type": "gift", "voucherValue": 1 << 50}
	}
	var cid idResp
	if err := cl.call(ctx, c.token, "POST", "/campaigns", camp, &cid); err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	hot := ""
	devs := make([]dev, c.devices)
	for i := range devs {
		d, err := newDevice(ctx, cl, c.token, loc.ID, cid.ID, fmt.Sprintf("vrl-%s-%d", tag, i), hot)
		if err != nil {
			return nil, err
		}
		if c.mode == "hot" {
			hot = d.code
		}
		devs[i] = d
	}
	return devs, nil
}

func newDevice(ctx context.Context, cl *client, token string, loc, campaign int64, host, code string) (dev, error) {
	var m idResp
	if err := cl.call(ctx, token, "POST", "/machines", map[string]any{"name": host, "hostname": host, "location": loc}, &m); err != nil {
		return dev{}, fmt.Errorf("create machine: %w", err)
	}
	var key struct{ APIKey string }
	if err := cl.call(ctx, token, "POST", fmt.Sprintf("/machines/%d/apikey", m.ID), nil, &key); err != nil {
		return dev{}, fmt.Errorf("machine key: %w", err)
	}
	if code == "" {
		var v struct{ Code string }
		if err := cl.call(ctx, token, "POST", "/vouchers", map[string]any{"campaign": campaign}, &v); err != nil {
			return dev{}, fmt.Errorf("create voucher: %w", err)
		}
		code = v.Code
	}
	return dev{host: host, key: key.APIKey, code: code}, nil
}

// drive runs the devices until d has passed and prints the figures.
func drive(ctx context.Context, cl *client, devs []dev, d time.Duration) error {
	var mu sync.Mutex
	var lat []time.Duration
	var failures int
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, dv := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, bad := loop(ctx, cl, dv, i, deadline)
			mu.Lock()
			lat, failures = append(lat, mine...), failures+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	report(lat, failures, d)
	return nil
}

// loop validates and redeems until deadline and returns the latency of
// each validate+redeem pair.
func loop(ctx context.Context, cl *client, dv dev, n int, deadline time.Time) ([]time.Duration, int) {
	var out []time.Duration
	bad := 0
	for i := 0; time.Now().Before(deadline); i++ {
		start := time.Now()
		var v, r map[string]any
		err := cl.call(ctx, dv.key, "POST", "/voucher/"+dv.code+"/validate", map[string]any{"deviceId": dv.host}, &v)
		if err == nil {
			err = cl.call(ctx, dv.key, "POST", "/voucher/"+dv.code+"/redeem", map[string]any{"deviceId": dv.host,
				"order": map[string]any{"id": fmt.Sprintf("%d-%d", n, i), "amount": 100}, "demand": map[string]any{"amount": 1}}, &r)
		}
		if err != nil || r["redeemed"] != true {
			bad++
			continue
		}
		out = append(out, time.Since(start))
	}
	return out, bad
}

func report(lat []time.Duration, failures int, d time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("redeems %d (+%d failed), %.0f validate+redeem/s, p50 %v, p99 %v\n",
		len(lat), failures, float64(len(lat))/d.Seconds(), pct(0.50), pct(0.99))
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
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
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

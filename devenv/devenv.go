// Package devenv sets up one environment of a pipeline on the Pub/Sub
// emulator, for local development: its topics and subscriptions, created
// through the emulator's REST API, and the environment variables a
// developer exports to run a service against them.
package devenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pipec/pipec/schema"
)

// Emulator talks to a running Pub/Sub emulator.
type Emulator struct {
	// Host is the emulator's HOST:PORT, as PUBSUB_EMULATOR_HOST holds it.
	Host   string
	Client *http.Client
}

// Up creates p's topics and subscriptions on the emulator, reporting one
// line per resource to w. What already exists is left alone, so running it
// again changes nothing; a subscription that exists with other settings is
// reported, since the emulator cannot change them in place either.
//
// The emulator delivers only by pull: a push, BigQuery or Cloud Storage
// subscription becomes a pull subscription of the same name, so the code
// that reads from it locally pulls, and the line says so.
func (e *Emulator) Up(ctx context.Context, p *schema.Pipeline, w io.Writer) error {
	base := "/v1/projects/" + p.Project
	for _, name := range slices.Sorted(maps.Keys(p.Topics)) {
		t := p.Topics[name]
		body := map[string]any{}
		if t.Retention > 0 {
			body["messageRetentionDuration"] = seconds(t.Retention)
		}
		status, _, err := e.do(ctx, http.MethodPut, base+"/topics/"+name, body)
		if err != nil {
			return err
		}
		switch status {
		case http.StatusOK:
			fmt.Fprintf(w, "+ topic %s: created\n", name)
		case http.StatusConflict:
			fmt.Fprintf(w, "= topic %s: exists\n", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Subscriptions)) {
		s := p.Subscriptions[name]
		body := subscription(p.Project, s)
		path := base + "/subscriptions/" + name
		status, _, err := e.do(ctx, http.MethodPut, path, body)
		if err != nil {
			return err
		}
		note := ""
		if d := delivery(s); d != "" {
			note = fmt.Sprintf(" (a pull subscription: the emulator does not deliver to %s)", d)
		}
		if status == http.StatusOK {
			fmt.Fprintf(w, "+ subscription %s: created%s\n", name, note)
			continue
		}
		_, have, err := e.do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return err
		}
		if diff := differs(body, have); len(diff) > 0 {
			fmt.Fprintf(w, "! subscription %s: exists with other %s; the emulator cannot change them: restart it to start over\n", name, strings.Join(diff, ", "))
			continue
		}
		fmt.Fprintf(w, "= subscription %s: exists%s\n", name, note)
	}
	return nil
}

// subscription is the REST body of s, without its delivery to other
// services.
func subscription(project string, s *schema.Subscription) map[string]any {
	body := map[string]any{
		"topic":              "projects/" + project + "/topics/" + s.Topic,
		"ackDeadlineSeconds": s.AckDeadline,
	}
	if s.Retention > 0 {
		body["messageRetentionDuration"] = seconds(s.Retention)
	}
	if s.RetainAcked {
		body["retainAckedMessages"] = true
	}
	if s.Filter != "" {
		body["filter"] = s.Filter
	}
	if s.Ordering {
		body["enableMessageOrdering"] = true
	}
	if s.ExactlyOnce {
		body["enableExactlyOnceDelivery"] = true
	}
	if s.Retry != nil {
		body["retryPolicy"] = map[string]any{"minimumBackoff": seconds(s.Retry.MinBackoff), "maximumBackoff": seconds(s.Retry.MaxBackoff)}
	}
	if s.DeadLetter != nil {
		body["deadLetterPolicy"] = map[string]any{
			"deadLetterTopic":     "projects/" + project + "/topics/" + s.DeadLetter.Topic,
			"maxDeliveryAttempts": s.DeadLetter.MaxAttempts,
		}
	}
	return body
}

func delivery(s *schema.Subscription) string {
	switch {
	case s.Push != nil:
		return "a push endpoint"
	case s.BigQuery != nil:
		return "BigQuery"
	case s.CloudStorage != nil:
		return "Cloud Storage"
	}
	return ""
}

// differs names the settings of an existing subscription that are not
// what body asks for. Only the settings that decide what a consumer sees
// are compared; the emulator fills in defaults for the others.
func differs(body, have map[string]any) []string {
	var out []string
	for _, k := range []string{"topic", "filter", "enableMessageOrdering", "deadLetterPolicy", "ackDeadlineSeconds"} {
		want, _ := json.Marshal(body[k])
		var w any
		_ = json.Unmarshal(want, &w)
		got := have[k]
		if w == nil && (got == nil || got == "" || got == false) {
			continue
		}
		if !reflect.DeepEqual(w, got) {
			out = append(out, k)
		}
	}
	return out
}

func seconds(d schema.Duration) string { return fmt.Sprintf("%ds", d.Seconds()) }

func (e *Emulator) do(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+e.Host+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("the Pub/Sub emulator at %s does not answer (%v): start it with 'gcloud beta emulators pubsub start', or pass --start", e.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusOK && !(resp.StatusCode == http.StatusConflict && method == http.MethodPut) {
		return 0, nil, fmt.Errorf("%s %s on the Pub/Sub emulator: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	var out map[string]any
	if resp.StatusCode == http.StatusOK && len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return 0, nil, fmt.Errorf("%s %s on the Pub/Sub emulator: %v", method, path, err)
		}
	}
	return resp.StatusCode, out, nil
}

// Exports writes the shell lines that point a service of p at the
// emulator: the emulator's address, the project, and each service's plain
// environment variables. A secret is never copied: its line is a comment
// telling the developer to set it.
func Exports(w io.Writer, host string, p *schema.Pipeline) {
	fmt.Fprintf(w, "export PUBSUB_EMULATOR_HOST=%s\n", quote(host))
	fmt.Fprintf(w, "export GOOGLE_CLOUD_PROJECT=%s\n", quote(p.Project))
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		env := p.Services[name].Env
		if len(env) == 0 {
			continue
		}
		fmt.Fprintf(w, "# service %s\n", name)
		for _, k := range slices.Sorted(maps.Keys(env)) {
			v := env[k]
			if v.Secret != "" {
				fmt.Fprintf(w, "# export %s=...  set it yourself: secret %q in Secret Manager is never copied here\n", k, v.Secret)
				continue
			}
			fmt.Fprintf(w, "export %s=%s\n", k, quote(v.Value))
		}
	}
}

// quote makes s one shell word, whatever it holds.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

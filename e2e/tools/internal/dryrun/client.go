// Package dryrun installs CustomResourceDefinitions into a cluster and asks
// its API server to validate objects with a server-side dry-run, the way
// `kubectl apply --dry-run=server --validate=strict` does on first apply.
package dryrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Client talks to one API server.
type Client struct {
	host   string
	http   *http.Client
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// New returns a client for the server cfg describes.
func New(cfg *rest.Config) (*Client, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	return &Client{
		host:   strings.TrimSuffix(cfg.Host, "/"),
		http:   hc,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
	}, nil
}

// response is what the server answered to one request.
type response struct {
	status   int
	body     []byte
	warnings []string
}

// ok reports a 2xx status.
func (r response) ok() bool { return r.status/100 == 2 }

// message is the server's own explanation of a failed request.
func (r response) message() string {
	var st metav1.Status
	if err := json.Unmarshal(r.body, &st); err == nil && st.Message != "" {
		return st.Message
	}
	return fmt.Sprintf("HTTP %d: %s", r.status, bytes.TrimSpace(r.body))
}

// reason is the machine-readable reason of a failed request.
func (r response) reason() metav1.StatusReason {
	var st metav1.Status
	_ = json.Unmarshal(r.body, &st)
	return st.Reason
}

// do sends a request with an optional YAML body. The body goes to the server
// as written, so its strict decoder sees exactly what a user would apply.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, yamlBody []byte) (response, error) {
	u := c.host + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if yamlBody != nil {
		body = bytes.NewReader(yamlBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Accept", "application/json")
	if yamlBody != nil {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode, body: data}
	headers, _ := utilnet.ParseWarningHeaders(resp.Header.Values("Warning"))
	for _, h := range headers {
		r.warnings = append(r.warnings, h.Text)
	}
	return r, nil
}

// resourcePath is the collection URL path of a resource, in a namespace when
// namespace is not empty.
func resourcePath(gvr schema.GroupVersionResource, namespace string) string {
	p := "/apis/" + gvr.Group + "/" + gvr.Version
	if gvr.Group == "" {
		p = "/api/" + gvr.Version
	}
	if namespace != "" {
		p += "/namespaces/" + url.PathEscape(namespace)
	}
	return p + "/" + gvr.Resource
}

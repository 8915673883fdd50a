// Package cluster runs a throwaway control plane on 127.0.0.1: etcd and
// kube-apiserver, with token auth and RBAC, everything in a temporary
// directory that Stop removes.
package cluster

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
)

// Options configure Start.
type Options struct {
	KubeAPIServer string        // path to the kube-apiserver binary
	Etcd          string        // path to the etcd binary
	Timeout       time.Duration // how long each server may take to become ready
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// Host is the API server's URL, https://127.0.0.1:port.
	Host string
	// Token authenticates as a member of system:masters.
	Token string
	// CAFile verifies the API server's self-generated serving certificate.
	CAFile string

	dir       string
	etcd      *process
	apiserver *process
}

// Start starts etcd, then kube-apiserver against it, and waits until the API
// server is ready and the default namespace exists. On error nothing is left
// running.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "pipec-e2e-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return c, err
	}
	etcdURL, err := c.startEtcd(ctx, opts, ports[0], ports[1])
	if err != nil {
		return c, err
	}
	if err := c.startAPIServer(ctx, opts, etcdURL, ports[2]); err != nil {
		return c, err
	}
	return c, nil
}

// Stop stops kube-apiserver, then etcd, by PID, and removes the temporary
// directory. It is safe to call on a partly started cluster.
func (c *Cluster) Stop() {
	if c.apiserver != nil {
		c.apiserver.stop(15 * time.Second)
	}
	if c.etcd != nil {
		c.etcd.stop(10 * time.Second)
	}
	os.RemoveAll(c.dir)
}

// RESTConfig returns a client configuration for the cluster's admin.
func (c *Cluster) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            c.Host,
		BearerToken:     c.Token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile},
		QPS:             -1, // a local server: no client-side throttling
		UserAgent:       "pipec-e2e",
	}
}

func (c *Cluster) startEtcd(ctx context.Context, opts Options, clientPort, peerPort int) (string, error) {
	clientURL := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	args := []string{
		"--name=e2e",
		"--data-dir=" + filepath.Join(c.dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=e2e=" + peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}
	p, err := startProcess("etcd", opts.Etcd, args, filepath.Join(c.dir, "etcd.log"))
	if err != nil {
		return "", err
	}
	c.etcd = p
	probe := &http.Client{Timeout: 5 * time.Second}
	health := func() error {
		resp, err := probe.Get(clientURL + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/health: %s", resp.Status)
		}
		return nil
	}
	if err := waitFor(ctx, "etcd", opts.Timeout, p, health); err != nil {
		return "", err
	}
	return clientURL, nil
}

func (c *Cluster) startAPIServer(ctx context.Context, opts Options, etcdURL string, port int) error {
	token, err := randomHex(32)
	if err != nil {
		return err
	}
	c.Token = token
	tokens := filepath.Join(c.dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return err
	}
	saKey := filepath.Join(c.dir, "sa.key")
	if err := writeSigningKey(saKey); err != nil {
		return err
	}
	certDir := filepath.Join(c.dir, "certs")
	c.Host = "https://127.0.0.1:" + strconv.Itoa(port)
	// kube-apiserver writes a self-signed CA and serving certificate into
	// --cert-dir; apiserver.crt holds the chain, CA included.
	c.CAFile = filepath.Join(certDir, "apiserver.crt")
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// No kubernetes Service endpoints: the reconciler refuses loopback
		// addresses, and nothing here reaches the API server through them.
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
	}
	p, err := startProcess("kube-apiserver", opts.KubeAPIServer, args, filepath.Join(c.dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	c.apiserver = p

	var client *http.Client
	ready := func() error {
		if client == nil {
			if _, err := os.Stat(c.CAFile); err != nil {
				return errors.New("no serving certificate yet")
			}
			cfg := c.RESTConfig()
			cfg.Timeout = 5 * time.Second
			hc, err := rest.HTTPClientFor(cfg)
			if err != nil {
				return err
			}
			client = hc
		}
		// /readyz covers etcd, the post-start hooks (RBAC's bootstrap roles,
		// the CRD informers) and the default namespace.
		for _, path := range []string{"/readyz", "/api/v1/namespaces/default"} {
			resp, err := client.Get(c.Host + path)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", path, resp.Status)
			}
		}
		return nil
	}
	return waitFor(ctx, "kube-apiserver", opts.Timeout, p, ready)
}

// waitFor polls check until it succeeds, the process exits, the context ends
// or timeout passes.
func waitFor(ctx context.Context, name string, timeout time.Duration, p *process, check func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if exitErr := p.exited(); exitErr != nil {
			return exitErr
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v\n%s", name, timeout, err, p.logTail(40))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// writeSigningKey writes a new RSA key, which kube-apiserver uses both to
// sign service-account tokens and, through its public half, to verify them.
func writeSigningKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

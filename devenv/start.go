package devenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Started is an emulator Start launched, which outlives pipec.
type Started struct {
	Host string
	// PID is the emulator's process group: `kill -- -PID` stops it and
	// the Java process it spawns.
	PID int
	// Log is the file its output goes to.
	Log string
}

// Start launches `gcloud beta emulators pubsub start` on host (a free
// port on 127.0.0.1 when empty) in its own process group, so that it keeps
// running after pipec exits and one signal stops it with its Java child,
// and waits until it answers. Its data and log live in a new directory
// below os.TempDir.
func Start(ctx context.Context, host, project string) (*Started, error) {
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		return nil, fmt.Errorf("--start needs gcloud with the pubsub-emulator component (and Java) on PATH: %w", err)
	}
	if host == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		host = l.Addr().String()
		l.Close()
	}
	dir, err := os.MkdirTemp("", "pipec-pubsub-emulator-")
	if err != nil {
		return nil, err
	}
	// gcloud writes env.yaml into the data directory but does not create it.
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "emulator.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(gcloud, "beta", "emulators", "pubsub", "start",
		"--host-port="+host, "--project="+project, "--data-dir="+filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = log, log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Started{Host: host, PID: cmd.Process.Pid, Log: logPath}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("the Pub/Sub emulator exited (%v); its log is %s", err, logPath)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		default:
		}
		if resp, err := client.Get("http://" + host + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("the Pub/Sub emulator did not answer on %s within 60s; its log is %s", host, logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop ends the emulator's process group: gcloud starts it as a child
// (Java), which must not outlive it.
func (s *Started) Stop() { stopGroup(s.PID) }

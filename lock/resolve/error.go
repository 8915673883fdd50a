package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kind is why a reference could not be resolved.
type Kind int

// The kinds of Error. Unreachable, Slow and Unavailable are retried.
const (
	Failed       Kind = iota // anything not below
	Malformed                // not an image reference
	NotFound                 // the registry has no such tag or repository
	Unauthorized             // the registry refused the credentials, or wanted some
	Unreachable              // no connection: DNS, refused, reset
	Slow                     // no answer within the timeout
	Unavailable              // the registry answered 429 or 5xx
	Canceled                 // the caller gave up
)

func (k Kind) retryable() bool { return k == Unreachable || k == Slow || k == Unavailable }

// Error is a reference that could not be resolved. Its message names the
// reference and the registry, and says what to do.
type Error struct {
	// Ref is the reference as given.
	Ref string
	// Registry, Repository and Tag are where it was looked up: on the
	// mirror, when the registry Mirrors has one.
	Registry, Repository, Tag string
	Mirrors                   string
	Kind                      Kind
	// Attempts is how many requests were tried, over Elapsed.
	Attempts int
	Elapsed  time.Duration
	Err      error
}

// Unwrap returns the error go-containerregistry or the network returned.
func (e *Error) Unwrap() error { return e.Err }

// Error says what failed, where, and what to do about it.
func (e *Error) Error() string {
	reg := "registry " + e.Registry
	if e.Mirrors != "" {
		reg = fmt.Sprintf("registry %s (mirror of %s)", e.Registry, e.Mirrors)
	}
	took := e.Elapsed.Round(100 * time.Millisecond)
	if e.Elapsed < time.Second {
		took = e.Elapsed.Round(time.Millisecond)
	}
	tries := fmt.Sprintf("%d attempts in %s", e.Attempts, took)
	if e.Attempts == 1 {
		tries = fmt.Sprintf("1 attempt in %s", took)
	}
	switch e.Kind {
	case Malformed:
		return fmt.Sprintf("%s: not a valid image reference (%v): write [REGISTRY/]REPOSITORY:TAG", e.Ref, e.Err)
	case NotFound:
		return fmt.Sprintf("%s: %s has no tag %q in repository %s: check the tag, or push the image first", e.Ref, reg, e.Tag, e.Repository)
	case Unauthorized:
		login := "docker login " + e.Registry
		if googleRegistry(e.Registry) {
			login = "gcloud auth configure-docker " + e.Registry
		}
		return fmt.Sprintf("%s: %s denied access to %s (%v): log in with '%s', and check that the repository exists",
			e.Ref, reg, e.Repository, status(e.Err), login)
	case Unreachable:
		return fmt.Sprintf("%s: %s is unreachable (%v; %s): check its host name and port, and the network", e.Ref, reg, cause(e.Err), tries)
	case Slow:
		return fmt.Sprintf("%s: %s did not answer in time (%s): check that it is up, or allow more time with --timeout", e.Ref, reg, tries)
	case Unavailable:
		return fmt.Sprintf("%s: %s is failing (%v; %s): try again later", e.Ref, reg, status(e.Err), tries)
	case Canceled:
		return fmt.Sprintf("%s: canceled before %s answered", e.Ref, reg)
	}
	return fmt.Sprintf("%s: %s: %v", e.Ref, reg, e.Err)
}

// googleRegistry reports whether host is a Google registry, which gcloud logs in to.
func googleRegistry(host string) bool {
	return host == "gcr.io" || strings.HasSuffix(host, ".gcr.io") || strings.HasSuffix(host, "-docker.pkg.dev")
}

// classify says what kind of failure err is.
func classify(err error) Kind {
	var te *transport.Error
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Slow
	case errors.As(err, &te):
		return classifyStatus(te)
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return Slow
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return Unreachable
	}
	return Failed
}

func classifyStatus(te *transport.Error) Kind {
	for _, d := range te.Errors {
		switch d.Code {
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return Unauthorized
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return NotFound
		}
	}
	switch c := te.StatusCode; {
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return Unauthorized
	case c == http.StatusNotFound:
		return NotFound
	case c == http.StatusTooManyRequests || c >= 500 || te.Temporary():
		return Unavailable
	}
	return Failed
}

// status is the registry's answer, without the request that got it.
func status(err error) string {
	var te *transport.Error
	if errors.As(err, &te) {
		if len(te.Errors) > 0 {
			return fmt.Sprintf("HTTP %d, %s: %s", te.StatusCode, te.Errors[0].Code, te.Errors[0].Message)
		}
		return fmt.Sprintf("HTTP %d", te.StatusCode)
	}
	return cause(err)
}

// cause is what went wrong on the network, without the URLs, methods and
// dial details wrapped around it: "connection refused" says it all.
func cause(err error) string {
	var dns *net.DNSError
	var errno syscall.Errno
	switch {
	case errors.As(err, &dns):
		return "cannot resolve " + dns.Name + ": " + dns.Err
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	}
	return err.Error()
}

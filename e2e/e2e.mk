# `make e2e`: every rendered Kubernetes object, every KRM object and every full
# object among the targets' goldens is server-side dry-run, with strict field
# validation, against a real kube-apiserver on etcd, both on 127.0.0.1.
# kube-apiserver is built from k8s.io/kubernetes, whose version e2e/tools/go.mod
# pins, and cached in E2E_CACHE (default ~/.cache/pipec/e2e): the first build
# takes minutes, later runs seconds. Included by the top-level Makefile.

GO        ?= go
E2E_TOOLS := e2e/tools
E2E_CACHE ?= $(PIPEC_E2E_CACHE)
# E2E_FLAGS passes driver flags, e.g. E2E_FLAGS=-v to list every object.
E2E_FLAGS ?=
E2E_RUN    = $(CURDIR)/e2e/bin/dryrun -root $(CURDIR) $(if $(E2E_CACHE),-cache $(E2E_CACHE))

.PHONY: e2e e2e-build e2e-etcd e2e-driver

e2e: e2e-etcd e2e-driver
	$(E2E_RUN) $(E2E_FLAGS)
	cd $(E2E_TOOLS) && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test ./...

# Builds kube-apiserver into the cache, or finds it there, and nothing else.
e2e-build: e2e-driver
	$(E2E_RUN) -build-only

e2e-driver:
	cd $(E2E_TOOLS) && GOWORK=off $(GO) build -o ../bin/dryrun ./cmd/dryrun

# etcd comes from Debian's etcd-server; installed here when we are root.
e2e-etcd:
	@if ! command -v etcd >/dev/null 2>&1 && [ ! -x /usr/bin/etcd ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "e2e: installing Debian's etcd-server"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; \
	  else \
	    echo "e2e: etcd not found: install Debian's etcd-server (sudo apt-get install -y etcd-server)" >&2; exit 1; \
	  fi; \
	fi

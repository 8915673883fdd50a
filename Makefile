# pipec's tasks. `make examples` compiles the example pipelines into deploy/;
# `make test` runs every test (and is what CI runs).

GO      ?= go
BIN     := bin/pipec
PIPEC   := ./$(BIN)
export GOFLAGS := -buildvcs=false

.PHONY: all build examples setup test check lint golden fuzz docs image bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/pipec

# The main job: compile the example pipelines into deploy/.
examples: build
	$(PIPEC) build ./pipelines/...

# What the tests run for real (a registry server), installed when missing.
setup:
	@scripts/setup.sh

# Every test, the lint, and the drift check of the committed examples.
test: setup build lint
	$(GO) test ./...
	$(PIPEC) build --check ./pipelines/...

# Fails when the committed output under deploy/ is not what the specs compile to.
check: build
	$(PIPEC) build --check ./pipelines/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# pipec itself must build where its users work, not only here.
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/pipec
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/pipec
	@# The tests too, so that no Unix-only call creeps back into a file
	@# every platform compiles.
	GOOS=windows GOARCH=amd64 $(GO) vet ./...

# Regenerate expected outputs after an intended change; read the diff before committing.
golden: build
	for pkg in $$(grep -rl 'flag.Bool("update"' --include='*_test.go' . | xargs -n1 dirname | sort -u); do \
	  $(GO) test $$pkg -args -update || exit 1; done
	PIPEC_UPDATE=1 $(GO) test ./cmd/pipec -run TestScripts
	$(PIPEC) build ./pipelines/...

# Regenerate docs/reference.md from the schema's comments (a test fails when it is stale).
docs:
	$(GO) test ./schema -run Reference -update

# pipec's own image; cmd/pipec/image_test.go checks the Dockerfile without an engine.
image:
	docker build -t pipec:dev --build-arg VERSION=$$(git describe --tags --always 2>/dev/null) .

# pipec side by side with cue and kubectl kustomize on synthetic pipelines
# (N = 1, 10, 100 and 1000, which issue 7's goals are stated for; about 25
# minutes on 2 cores, `make bench BENCH_N=1,10,100` takes half that):
# regenerates bench/RESULTS.md and bench/results.png. Then the Go benchmarks
# of the hot paths.
BENCH_N ?= 1,10,100,1000
bench:
	bash scripts/setup.sh --bench
	$(GO) run ./bench/run -n $(BENCH_N)
	$(GO) test -run '^$$' -bench . -benchmem ./compiler ./internal/manifest ./internal/buildcache ./writer ./targets/... ./bench

# Every fuzz target for FUZZTIME each; `go test` alone runs their seed corpora.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	./compiler:FuzzCompile \
	./internal/manifest:FuzzMarshalRoundTrip \
	./internal/manifest:FuzzEmitMatchesYAMLv3 \
	./internal/manifest:FuzzPlainWord \
	./internal/manifest:FuzzPlainPhrase \
	./internal/manifest:FuzzCompareKeys \
	./internal/manifest:FuzzDecodeObject \
	./targets/dockerfile:FuzzQuote \
	./targets/gcp:FuzzShellQuote \
	./targets/gcp:FuzzLabel \
	./targets/airflow:FuzzPyString
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg, $(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) || exit 1; done

clean:
	rm -rf bin

include e2e/e2e.mk

# syntax=docker/dockerfile:1
# check=error=true
#
# pipec's own image, for CI systems that run pipec without Go: a static
# binary on distroless, as a non-root user, with no shell. Build it from
# the repository root:
#   docker build -t pipec --build-arg VERSION=$(git describe --tags) .
# and run it on a repository of pipelines (docs/ci.md):
#   docker run --rm -v "$PWD:/work" pipec vet --format github ./pipelines/...
# .dockerignore admits only what the build reads; each COPY below names it.

FROM golang:1.26-bookworm AS build
# The image's own toolchain, never one that go.mod's toolchain line would download.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
WORKDIR /src
# The module files alone first, so modules are downloaded again only when they change.
COPY ["go.mod", "go.sum", "/src/"]
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY ["cmd", "/src/cmd"]
COPY ["compiler", "/src/compiler"]
COPY ["devenv", "/src/devenv"]
COPY ["diff", "/src/diff"]
COPY ["graph", "/src/graph"]
COPY ["internal", "/src/internal"]
COPY ["lock", "/src/lock"]
COPY ["schema", "/src/schema"]
COPY ["targets", "/src/targets"]
COPY ["writer", "/src/writer"]
# VERSION is what `pipec version` prints; without it, the module's version.
ARG VERSION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w -X github.com/pipec/pipec/internal/cli.Version=${VERSION}" -o /out/pipec ./cmd/pipec

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="pipec" \
      org.opencontainers.image.description="Compile declarative data pipelines into GitOps-ready files" \
      org.opencontainers.image.source="https://github.com/pipec/pipec"
COPY --from=build ["/out/pipec", "/usr/local/bin/pipec"]
# CI mounts the repository here; pipec's paths are relative to it.
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/pipec"]

# syntax=docker/dockerfile:1
#
# Image of the gateway binary (cmd/gateway): a static Go binary on distroless,
# running as uid 65532 with nothing writable. Build from the repository root:
#
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     -t realtime-gateway:0.1.0 .
#
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 ...
# (the build stage runs on the builder's own platform and cross-compiles,
# which Go does without emulation since cgo is off).

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
# Build with the image's own Go, never one fetched at build time: when
# go.mod's go line moves past 1.26.8 this fails loudly, and the FROM line
# above is what to bump.
ENV GOTOOLCHAIN=local

# Modules before sources, so this layer is reused until go.mod or go.sum
# change, not on every code edit.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# Set by BuildKit from --platform (BuildKit is required anyway, for
# RUN --mount); they pick the binary's OS and architecture.
ARG TARGETOS
ARG TARGETARCH
# main.version is what the binary reports as its version.
ARG VERSION=dev
# -trimpath and no VCS stamp (.git is not in the context) keep the binary
# reproducible; -s -w drops the symbol table and DWARF (about a third of the size).
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/gateway ./cmd/gateway

# static-debian12 has CA certificates (for rediss://), tzdata and
# /etc/passwd entries, but no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="realtime-gateway" \
      org.opencontainers.image.description="Real-time gateway: WebSocket, SSE and long-poll delivery of per-org event logs kept in Redis" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/rtgw/realtime" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"

COPY --from=build /out/gateway /usr/local/bin/gateway

# 65532 is distroless's "nonroot". Numeric, so that a kubelet enforcing
# runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
# REALTIME_ADDR default.
EXPOSE 4000
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz, and the image has
# no shell or curl to run one. SIGTERM starts the drain (REALTIME_DRAIN_TIMEOUT).
ENTRYPOINT ["/usr/local/bin/gateway"]

# syntax=docker/dockerfile:1
#
# analytics-bridge and the upstream simulator (analytics-sim), as static
# binaries on distroless (no shell, no package manager), running as non-root.
#
#   docker build -t analytics-bridge .
#   docker run --rm -p 8080:8080 -e ANALYTICS_URL=... -e KAFKA_BROKERS=... analytics-bridge
#   docker run --rm --entrypoint /analytics-sim analytics-bridge -addr 0.0.0.0:8089
#
# See docker-compose.yml for the whole demo (Kafka + simulator + bridge).
# The bridge is built with -tags nodemo: the production binary links none of
# the test kit (embedded broker, simulator); TestProductionImports checks it.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# No .git in the build context: pass the release version (empty: "dev"),
# the revision and the build time in; they become the image's OCI labels
# below and what `analytics-bridge version` prints:
#   docker build --build-arg VERSION=0.6.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t analytics-bridge:0.6.0 .
ARG VERSION=
ARG REVISION=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -tags nodemo -ldflags="-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" -o /out/analytics-bridge . && \
    go build -trimpath -ldflags="-s -w" -o /out/analytics-sim ./integration/cmd/analytics-sim

FROM gcr.io/distroless/static-debian12:nonroot
# A build argument is scoped to its stage: declared again for the labels.
ARG VERSION=
ARG REVISION=unknown
ARG CREATED=
LABEL org.opencontainers.image.title="analytics-bridge" \
      org.opencontainers.image.description="Streams an analytics event WebSocket into Kafka exactly once" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/analytics-bridge /out/analytics-sim /
# distroless "nonroot" is uid/gid 65532.
USER 65532:65532
# /healthz and /metrics on HTTP_ADDR (default :8080).
EXPOSE 8080
# No curl/wget in distroless: the bridge checks itself (GET http://127.0.0.1:8080/healthz, honouring HTTP_ADDR).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/analytics-bridge", "healthcheck"]
ENTRYPOINT ["/analytics-bridge"]

# Multi-stage build on Debian 12; the service runs as an unprivileged user.
# docker-compose.yml builds it; tests/integration/test_containers.py checks that
# the runtime stage installs every library the binaries link.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libevent-dev libjansson-dev libssl-dev \
      libcurl4-openssl-dev libpq-dev libinih-dev libxml2-dev \
    && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt /src/
COPY cmake /src/cmake
COPY migrations /src/migrations
COPY src /src/src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DHCWATCH_TESTS=OFF \
    && cmake --build /build -j "$(nproc)"

FROM debian:12-slim
# curl: the health checks (GET /readyz).
RUN apt-get update && apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-core-2.1-7 libevent-extra-2.1-7 libevent-pthreads-2.1-7 \
      libevent-openssl-2.1-7 libjansson4 libssl3 libcurl4 libpq5 libinih1 libxml2 \
      ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home hcwatch \
    && mkdir -p /etc/hcwatch /var/lib/hcwatch/keys \
    && chown hcwatch /var/lib/hcwatch/keys
COPY --from=build /build/hcwatch /build/hcwatch-sim /usr/local/bin/
# /var/lib/hcwatch/keys belongs to hcwatch: a new named volume mounted there takes its
# owner, so docker-compose.yml's demo-keys service can write the demo key.
USER hcwatch
EXPOSE 8080
# Ready: the database is reachable and migrated. Assumes [server] listen on port 8080.
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["hcwatch"]
CMD ["serve"]

# Multi-stage build on Debian 12; the service runs as an unprivileged user.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libevent-dev libjansson-dev libssl-dev \
      libcurl4-openssl-dev libpq-dev libinih-dev libxml2-dev \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DHCWATCH_TESTS=OFF \
    && cmake --build /build -j "$(nproc)"

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-core-2.1-7 libevent-extra-2.1-7 libevent-pthreads-2.1-7 \
      libevent-openssl-2.1-7 libjansson4 libssl3 libcurl4 libpq5 libinih1 libxml2 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home hcwatch
COPY --from=build /build/hcwatch /build/hcwatch-sim /usr/local/bin/
USER hcwatch
EXPOSE 8080
ENTRYPOINT ["hcwatch"]
CMD ["serve"]

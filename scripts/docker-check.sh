#!/bin/sh
# Builds the container images for real and runs the demo from them, as
# docker-compose.yml would, with only Debian's packages:
#   1. installs Docker's engine (docker.io) and debootstrap if missing, and
#      starts the engine if none runs;
#   2. makes a debian:12 base image with debootstrap (unless one is there),
#      builds hcwatch's image from the Dockerfile, and a PostgreSQL image from
#      Debian's postgresql-15 (scripts/docker/postgres.Dockerfile), standing in
#      for the postgres, Grafana and Mailpit images, which cannot be pulled here;
#   3. on a network of their own: demo-keys, hcwatch-sim, migrate and serve,
#      configured by conf/compose/hcwatch.conf as in docker-compose.yml;
#   4. posts a signed binding notification, and waits for the image's health
#      check to say healthy.
# Exits 0 when all went well, 77 (skipped, saying why) when no Docker engine
# can run on this machine, 1 otherwise. Leaves no container, network or volume.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK="$ROOT/build/docker"
DOCKER=/usr/bin/docker
TAG=hcwatch:check
PG_TAG=hcwatch-postgres:check
RUN_ID="hcwatch-check-$$"
mkdir -p "$WORK"

say() { echo "docker-check: $*"; }

# 1. The engine.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1 ||
    [ ! -x "$DOCKER" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		say "SKIPPED: docker.io and debootstrap are not installed, and only root may install them"
		exit 77
	fi
	say "installing docker.io and debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    docker.io debootstrap >"$WORK/apt.log" 2>&1 || {
		say "SKIPPED: cannot install docker.io (see $WORK/apt.log)"
		exit 77
	}
fi
if ! "$DOCKER" info >/dev/null 2>&1; then
	say "starting dockerd (log: $WORK/dockerd.log)"
	dockerd >"$WORK/dockerd.log" 2>&1 &
	i=0
	until "$DOCKER" info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then
			say "SKIPPED: no Docker engine can run on this machine (see $WORK/dockerd.log)"
			exit 77
		fi
		sleep 0.5
	done
fi

cleanup() {
	trap - INT TERM EXIT
	for c in hcwatch migrate hcwatch-sim postgres; do
		"$DOCKER" rm -f "$RUN_ID-$c" >/dev/null 2>&1 || true
	done
	"$DOCKER" network rm "$RUN_ID" >/dev/null 2>&1 || true
	"$DOCKER" volume rm "$RUN_ID-keys" >/dev/null 2>&1 || true
}
trap cleanup INT TERM EXIT

fail() {
	say "FAILED: $*"
	for c in postgres hcwatch-sim hcwatch; do
		if "$DOCKER" inspect "$RUN_ID-$c" >/dev/null 2>&1; then
			echo "--- last lines of $c:"
			"$DOCKER" logs --tail 20 "$RUN_ID-$c" 2>&1 | sed 's/^/    /'
		fi
	done
	exit 1
}

# 2. The images.
t0=$(date +%s)
if ! "$DOCKER" image inspect debian:12 >/dev/null 2>&1; then
	say "making the debian:12 base image with debootstrap"
	rm -rf "$WORK/rootfs"
	debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian \
	    >"$WORK/debootstrap.log" 2>&1 || fail "debootstrap (see $WORK/debootstrap.log)"
	tar -C "$WORK/rootfs" -c . | "$DOCKER" import - debian:12 >/dev/null
	rm -rf "$WORK/rootfs"
fi
"$DOCKER" image inspect debian:12-slim >/dev/null 2>&1 || "$DOCKER" tag debian:12 debian:12-slim
say "building $TAG from the Dockerfile"
"$DOCKER" build -q -t "$TAG" . >"$WORK/build.log" 2>&1 || fail "docker build (see $WORK/build.log)"
say "building $PG_TAG from Debian's postgresql-15"
"$DOCKER" build -q -t "$PG_TAG" -f scripts/docker/postgres.Dockerfile conf/compose \
    >"$WORK/build-postgres.log" 2>&1 || fail "docker build (see $WORK/build-postgres.log)"
say "images built in $(( $(date +%s) - t0 )) s"

# What the image is: its user, and the libraries it was built with.
user=$("$DOCKER" run --rm --entrypoint id "$TAG" -un)
[ "$user" = hcwatch ] || fail "the image runs as $user, not hcwatch"
"$DOCKER" run --rm "$TAG" version | grep -q libpq || fail "hcwatch version names no libpq"

# 3. The demo, as docker-compose.yml runs it.
NET="--network $RUN_ID"
CONF="-v $ROOT/conf/compose/hcwatch.conf:/etc/hcwatch/hcwatch.conf:ro"
KEYS="-v $RUN_ID-keys:/var/lib/hcwatch/keys"
ENV="-e HCWATCH_CONFIG=/etc/hcwatch/hcwatch.conf
 -e HCWATCH_DATABASE_URL=postgresql://hcwatch:hcwatch@postgres:5432/hcwatch
 -e HCWATCH_HUAWEI_SECRET_KEY=hcwatch-sim-secret-key-0000000000000000
 -e HCWATCH_DESTINATION_DEMO_HOOK_SECRET=whsec_aGN3YXRjaC1zaW0td2ViaG9vay1zZWNyZXQ="
"$DOCKER" network create "$RUN_ID" >/dev/null
"$DOCKER" volume create "$RUN_ID-keys" >/dev/null
# shellcheck disable=SC2086
"$DOCKER" run -d --name "$RUN_ID-postgres" $NET --network-alias postgres "$PG_TAG" >/dev/null
# demo-keys: a new volume takes the owner of the image's folder, so the key can be written.
# shellcheck disable=SC2086
"$DOCKER" run --rm $KEYS --entrypoint hcwatch-sim "$TAG" metadata \
    --key /var/lib/hcwatch/keys/huawei.key --out /var/lib/hcwatch/keys/metadata.xml \
    >/dev/null || fail "demo-keys could not write the demo key into its volume"
# hcwatch-sim: Huawei and the chat robots, and the mail server in Mailpit's place.
# shellcheck disable=SC2086
"$DOCKER" run -d --name "$RUN_ID-hcwatch-sim" $NET --network-alias hcwatch-sim \
    --network-alias mailpit $KEYS --entrypoint hcwatch-sim "$TAG" serve \
    --listen 0.0.0.0:9480 --customers 50 --resources-per 5 --smtp-listen 0.0.0.0:1025 >/dev/null

wait_for() { # wait_for WHAT SECONDS COMMAND...
	what=$1 secs=$2
	shift 2
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt $((secs * 2)) ] && fail "$what"
		sleep 0.5
	done
}
health() { [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }
wait_for "PostgreSQL did not become healthy" 60 health "$RUN_ID-postgres"

# shellcheck disable=SC2086
"$DOCKER" run --rm --name "$RUN_ID-migrate" $NET $CONF $KEYS $ENV "$TAG" migrate \
    >"$WORK/migrate.log" 2>&1 || fail "migrate: $(tail -3 "$WORK/migrate.log")"
# shellcheck disable=SC2086
"$DOCKER" run -d --name "$RUN_ID-hcwatch" $NET --network-alias hcwatch $CONF $KEYS $ENV \
    "$TAG" serve >/dev/null

# 4. A signed notification, and the image's own health check.
wait_for "hcwatch did not answer /readyz" 60 "$DOCKER" exec "$RUN_ID-hcwatch" \
    curl -fsS -o /dev/null http://127.0.0.1:8080/readyz
answer=$("$DOCKER" exec "$RUN_ID-hcwatch-sim" hcwatch-sim bind --url http://hcwatch:8080/huawei/bind \
    --key /var/lib/hcwatch/keys/huawei.key --domain-id docker-check) || fail "bind: $answer"
case "$answer" in
"HTTP 200"* | "HTTP 303"*) ;;
*) fail "the notification was answered \"$answer\"" ;;
esac
stored=$("$DOCKER" exec -e PGPASSWORD=hcwatch "$RUN_ID-postgres" psql -h 127.0.0.1 -U hcwatch \
    -d hcwatch -Atc "SELECT status FROM callback_events WHERE customer_id = 'docker-check'")
[ "$stored" = accepted ] || fail "the notification is not stored as accepted (\"$stored\")"
wait_for "the image's health check did not say healthy" 90 health "$RUN_ID-hcwatch"
say "ok: image built and run as $user; migrate, serve, hcwatch-sim and PostgreSQL on a network" \
    "of their own; a signed notification $answer and stored; health check healthy" \
    "($(( $(date +%s) - t0 )) s)"

#!/bin/sh
# Runs hcwatch locally. With nothing configured it brings up, inside var/:
#   - a private PostgreSQL cluster (var/pg), reused on the next run;
#   - a demo signing key and SP metadata.xml made by hcwatch-sim (var/keys),
#     standing in for Huawei's;
#   - hcwatch-sim serve on port 9480, standing in for Huawei's partner APIs
#     with 50 generated customers, and for a WeCom robot, a webhook receiver
#     and an SMTP server (port 9425) that the alerts go to;
#   - var/hcwatch.conf, which you may edit; it is kept on the next run;
# then migrates, serves (with the poller on, pointed at the simulator), and
# posts one signed binding notification with hcwatch-sim so that there is
# something to see. Ctrl-C stops everything.
#
# Set HCWATCH_DATABASE_URL to use your own PostgreSQL instead, HCWATCH_PORT
# to listen elsewhere than 8080, HCWATCH_SIM_PORT to move the simulator,
# HCWATCH_VAR_DIR to keep the demo's files elsewhere than var/, and
# HCWATCH_BIN_DIR to run binaries built elsewhere instead of building them.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR=${HCWATCH_VAR_DIR:-"$ROOT/var"}
PORT=${HCWATCH_PORT:-8080}
SIM_PORT=${HCWATCH_SIM_PORT:-9480}
SMTP_PORT=${HCWATCH_SMTP_PORT:-9425}

mkdir -p "$VAR/keys"
VAR=$(cd "$VAR" && pwd)
# One demo at a time per folder: a second run would find PostgreSQL and the ports taken.
if [ -f "$VAR/run.pid" ] && kill -0 "$(cat "$VAR/run.pid")" 2>/dev/null; then
	echo "run: scripts/run.sh is already running (pid $(cat "$VAR/run.pid")) on $VAR;" \
	    "its hcwatch logs to the terminal it runs in, PostgreSQL to $VAR/pg/server.log." \
	    "Stop it with Ctrl-C there, or: kill $(cat "$VAR/run.pid")" >&2
	exit 1
fi
echo $$ > "$VAR/run.pid"

sh scripts/bootstrap.sh
if [ -n "${HCWATCH_BIN_DIR:-}" ]; then
	HCWATCH="$HCWATCH_BIN_DIR/hcwatch"
	SIM="$HCWATCH_BIN_DIR/hcwatch-sim"
else
	cmake -S . -B build/run -DCMAKE_BUILD_TYPE=Release -DHCWATCH_TESTS=OFF >/dev/null
	cmake --build build/run -j "$(nproc)" >/dev/null
	HCWATCH="$ROOT/build/run/hcwatch"
	SIM="$ROOT/build/run/hcwatch-sim"
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to "nobody".
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
PGBIN=$(pg_config --bindir)
PGDATA="$VAR/pg"
PGPORT=${HCWATCH_PG_PORT:-54329}
pg_started=""
cleanup() {
	trap - INT TERM EXIT
	rm -f "$VAR/run.pid"
	# Ctrl-C reaches hcwatch too, and it drains by itself; give it that moment.
	[ -n "${hc_pid:-}" ] && kill -0 "$hc_pid" 2>/dev/null && sleep 1
	if [ -n "${hc_pid:-}" ] && kill -0 "$hc_pid" 2>/dev/null; then
		kill -TERM "$hc_pid" 2>/dev/null || true
		wait "$hc_pid" 2>/dev/null || true
	fi
	if [ -n "${sim_pid:-}" ]; then
		kill -TERM "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	if [ -n "$pg_started" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
		echo "run: PostgreSQL stopped; data kept in $PGDATA"
	fi
}
trap cleanup INT TERM EXIT

own_db=${HCWATCH_DATABASE_URL:+yes}
if [ -z "$own_db" ]; then
	if [ ! -f "$PGDATA/PG_VERSION" ]; then
		mkdir -p "$PGDATA"
		chmod 755 "$VAR"
		[ "$(id -u)" -eq 0 ] && chown nobody "$PGDATA"
		if ! as_pg test -w "$PGDATA"; then
			echo "run: $PGDATA is not reachable by the PostgreSQL user 'nobody';" \
			    "clone the project under a folder others may enter, or set HCWATCH_DATABASE_URL" >&2
			exit 1
		fi
		as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C >/dev/null
		printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n" \
		    "$PGPORT" >> "$PGDATA/postgresql.conf"
	fi
	if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
		# Left running by a run that did not stop it (killed, say): use it, and leave it.
		echo "run: PostgreSQL of an earlier run is still up on $PGDATA; using it"
	else
		if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start >/dev/null; then
			echo "run: PostgreSQL did not start; its log is $PGDATA/server.log:" >&2
			tail -n 5 "$PGDATA/server.log" >&2
			exit 1
		fi
		pg_started=yes
	fi
	psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'hcwatch'" \
	    | grep -q 1 || psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE hcwatch"
	export HCWATCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/hcwatch"
fi
# How the commands printed at the end name the database: the demo cluster's URL (no
# password), or, for your own, the variable you set, so that no password is printed.
if [ -z "$own_db" ]; then DB_SHOWN=$HCWATCH_DATABASE_URL; else DB_SHOWN='$HCWATCH_DATABASE_URL'; fi

if [ ! -f "$VAR/keys/huawei.key" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$VAR/keys/huawei.key" \
	    -out "$VAR/keys/huawei.crt" -days 3650 -subj "/CN=hcwatch demo key (not Huawei)" 2>/dev/null
	"$SIM" metadata --cert "$VAR/keys/huawei.crt" --out "$VAR/keys/metadata.xml"
fi
if [ ! -f "$VAR/keys/links.key" ]; then
	# Signs the links in messages to hcwatch's pages ([web] keys).
	(umask 077 && openssl rand -base64 32 > "$VAR/keys/links.key")
fi
LINK_KEY=$(cat "$VAR/keys/links.key")
if [ ! -f "$VAR/hcwatch.conf" ]; then
	cat > "$VAR/hcwatch.conf" <<CONF
; Local demo configuration written by scripts/run.sh; every key is in
; conf/hcwatch.conf.example. HCWATCH_DATABASE_URL, when set, overrides the
; database below.
[server]
listen = 127.0.0.1:$PORT

[database]
url = postgresql://postgres@127.0.0.1:$PGPORT/hcwatch

[bind]
; hcwatch-sim's demo key. In production: Huawei's SP metadata.xml.
certificates = keys/metadata.xml

[huawei]
; hcwatch-sim serve and its demo access key. In production: your partner
; account's access key, at https://bss.myhuaweicloud.com.
endpoint = http://127.0.0.1:$SIM_PORT
iam_endpoint = http://127.0.0.1:$SIM_PORT
access_key = HCWATCHSIMACCESSKEY0
secret_key = hcwatch-sim-secret-key-0000000000000000

[poller]
enabled = true
customers_interval = 60
balances_interval = 120
resources_interval = 300
partner_interval = 300

[alerts]
; Evaluated after every poll run and every minute.
evaluate_interval = 60

[web]
; Every message links to pages here: the delivery, each alert (acknowledge,
; silence), each customer. In production: the address of your reverse proxy.
public_url = http://127.0.0.1:$PORT
keys = $LINK_KEY

[routing]
default = demo-wecom, demo-hook, demo-mail
operator = demo-mail

; hcwatch-sim's robots, which check signatures and limits like the real ones.
[destination demo-wecom]
type = wecom
url = http://127.0.0.1:$SIM_PORT/wecom/cgi-bin/webhook/send?key=demo
max_parts = 3

[destination demo-hook]
type = webhook
url = http://127.0.0.1:$SIM_PORT/webhook/demo
secret = whsec_aGN3YXRjaC1zaW0td2ViaG9vay1zZWNyZXQ=

[destination demo-mail]
type = email
url = smtp://127.0.0.1:$SMTP_PORT
; The simulator's SMTP server has no TLS; a real one must (the default).
tls = none
from = hcwatch <alerts@partner.example>
to = 值班 <oncall@partner.example>
CONF
fi

if ! grep -q '^\[web\]' "$VAR/hcwatch.conf"; then
	# Written by an older run.sh: messages link to the pages from now on.
	printf '\n[web]\npublic_url = http://127.0.0.1:%s\nkeys = %s\n' "$PORT" "$LINK_KEY" \
	    >> "$VAR/hcwatch.conf"
fi
if ! grep -q '^\[database\]' "$VAR/hcwatch.conf"; then
	# Written by an older run.sh: the commands below need the database in the file.
	printf '\n[database]\nurl = postgresql://postgres@127.0.0.1:%s/hcwatch\n' "$PGPORT" \
	    >> "$VAR/hcwatch.conf"
fi

"$SIM" serve --listen "127.0.0.1:$SIM_PORT" --customers 50 --resources-per 5 \
    --smtp-listen "127.0.0.1:$SMTP_PORT" &
sim_pid=$!

"$HCWATCH" -c "$VAR/hcwatch.conf" migrate
q() { psql "$HCWATCH_DATABASE_URL" -Atqc "$1"; }
since=$(q "SELECT now()")
"$HCWATCH" -c "$VAR/hcwatch.conf" serve &
hc_pid=$!
i=0
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$hc_pid" 2>/dev/null; then
		echo "run: hcwatch did not become ready; see the lines above" >&2
		exit 1
	fi
	sleep 0.1
done

demo_id="demo-$(date +%s)"
answer=$("$SIM" bind --url "http://127.0.0.1:$PORT/huawei/bind" --key "$VAR/keys/huawei.key" \
    --domain-id "$demo_id" --domain-name demo-customer --xaccount-id demo-account --bind-action 1)
# The poll runs that were due, then the evaluation they trigger and its deliveries. Jobs
# that ran in an earlier run within their interval are not due yet.
echo "run: hcwatch is up; waiting for the poll of the simulator and the alerts it raises..."
sleep 3
i=0
until [ "$(q "SELECT count(*) FROM poll_runs WHERE started_at > '$since' AND finished_at IS NULL")" = 0 ] &&
    [ "$(q "SELECT count(*) FROM alert_runs WHERE started_at > (SELECT greatest('$since',
        max(finished_at)) FROM poll_runs WHERE started_at > '$since')")" != 0 ] &&
    [ "$(q "SELECT count(*) FROM deliveries WHERE state = 'sending'
        OR (state = 'pending' AND next_attempt_at <= now() + interval '5 seconds')")" = 0 ]; do
	i=$((i + 1))
	if [ $i -gt 120 ] || ! kill -0 "$hc_pid" 2>/dev/null; then
		echo "run: still waiting after 2 minutes; the account below may be partial" >&2
		break
	fi
	sleep 1
done
polled=$(q "SELECT COALESCE(string_agg(job || ' ' || status || ' (' || items || ' items)', ', '
    ORDER BY id), 'nothing was due yet; the earlier run''s data is kept')
    FROM poll_runs WHERE started_at > '$since'")
open_alerts=$(q "SELECT COALESCE(string_agg(kind || ' ' || n, ', ' ORDER BY kind), 'none')
    FROM (SELECT kind, count(*) AS n FROM alerts WHERE resolved_at IS NULL GROUP BY 1) AS a")
# The page of the latest digest the WeCom robot got, from the link at its end.
page=$(curl -s "http://127.0.0.1:$SIM_PORT/_sim/messages?channel=wecom" | python3 -c '
import json, re, sys
links = [m.group(1) for x in json.load(sys.stdin)["messages"]
         for m in [re.search(r"\((http[^)]*/l/d[^)]*)\)", x["text"])] if m]
print(links[-1] if links else "no message yet: it is the link at the end of each message")')
told=$(q "SELECT COALESCE(string_agg(destination || ' ' || state || ' ' || n, ', '
    ORDER BY destination), 'nothing new: everything was told in an earlier run')
    FROM (SELECT destination, state, count(*) AS n FROM deliveries WHERE created_at > '$since'
    GROUP BY 1, 2) AS d")

cat <<MSG

hcwatch is running.
  binding notification URL:  http://127.0.0.1:$PORT/huawei/bind
  health / metrics:          http://127.0.0.1:$PORT/readyz  http://127.0.0.1:$PORT/metrics
  configuration:             $VAR/hcwatch.conf
  database:                  psql "$DB_SHOWN"
  Huawei (simulated):        http://127.0.0.1:$SIM_PORT  (hcwatch-sim serve, 50 customers)

What happened:
  1. hcwatch-sim signed a binding notification for customer $demo_id with the demo key and
     posted it as a browser would; hcwatch answered "$answer".
  2. The poller synced the simulator (10 calls per second per API, as Huawei allows):
     $polled
  3. The alert rules ran on what it found. Open alerts: $open_alerts
  4. Deliveries made this run: $told
  5. Each message links to pages where account managers see every item and acknowledge or
     silence one, without a shell. The latest digest's page:
     $page

Look at them:
  psql "$DB_SHOWN" -c "SELECT received_at, status, reason, customer_id FROM callback_events ORDER BY id DESC LIMIT 5"
  psql "$DB_SHOWN" -c "SELECT customer, resource, days_left, account_manager FROM dashboard.expiring_resources ORDER BY days_left LIMIT 10"
  $HCWATCH -c $VAR/hcwatch.conf alerts list
  curl -s 'localhost:$SIM_PORT/_sim/messages?channel=wecom' | python3 -m json.tool | less   (the WeCom robot)
  curl -s localhost:$SIM_PORT/_sim/mail | python3 -m json.tool | less                       (the mailbox)
Send another notification:  $SIM bind --url http://127.0.0.1:$PORT/huawei/bind --key $VAR/keys/huawei.key --domain-id you
A forged one:  add --tamper signature  (answered 403, recorded as rejected)
Renew a resource and watch hcwatch tell it on the next sweep (every 300 s):
  curl -s localhost:$SIM_PORT/_sim/mutate -d '{"op":"resource","resource_id":"<id>","set":{"expire_time":"2030-01-01T00:00:00Z"}}'

Ctrl-C stops hcwatch, the simulator and PostgreSQL; the next run reuses the data.
MSG
wait "$hc_pid"

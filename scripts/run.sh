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
# to listen elsewhere than 8080, HCWATCH_SIM_PORT to move the simulator.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
PORT=${HCWATCH_PORT:-8080}
SIM_PORT=${HCWATCH_SIM_PORT:-9480}
SMTP_PORT=${HCWATCH_SMTP_PORT:-9425}

sh scripts/bootstrap.sh
cmake -S . -B build/run -DCMAKE_BUILD_TYPE=Release -DHCWATCH_TESTS=OFF >/dev/null
cmake --build build/run -j "$(nproc)" >/dev/null
HCWATCH="$ROOT/build/run/hcwatch"
SIM="$ROOT/build/run/hcwatch-sim"
mkdir -p "$VAR/keys"

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

if [ -z "${HCWATCH_DATABASE_URL:-}" ]; then
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
	as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start >/dev/null
	pg_started=yes
	psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'hcwatch'" \
	    | grep -q 1 || psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE hcwatch"
	export HCWATCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/hcwatch"
fi

if [ ! -f "$VAR/keys/huawei.key" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$VAR/keys/huawei.key" \
	    -out "$VAR/keys/huawei.crt" -days 3650 -subj "/CN=hcwatch demo key (not Huawei)" 2>/dev/null
	"$SIM" metadata --cert "$VAR/keys/huawei.crt" --out "$VAR/keys/metadata.xml"
fi
if [ ! -f "$VAR/hcwatch.conf" ]; then
	cat > "$VAR/hcwatch.conf" <<CONF
; Local demo configuration written by scripts/run.sh; every key is in
; conf/hcwatch.conf.example. HCWATCH_DATABASE_URL comes from the environment.
[server]
listen = 127.0.0.1:$PORT

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

[routing]
default = demo-wecom, demo-hook
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

"$SIM" serve --listen "127.0.0.1:$SIM_PORT" --customers 50 --resources-per 5 \
    --smtp-listen "127.0.0.1:$SMTP_PORT" &
sim_pid=$!

"$HCWATCH" -c "$VAR/hcwatch.conf" migrate
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
cat <<MSG

hcwatch is running.
  binding notification URL:  http://127.0.0.1:$PORT/huawei/bind
  health / readiness:        http://127.0.0.1:$PORT/healthz  http://127.0.0.1:$PORT/readyz
  configuration:             $VAR/hcwatch.conf
  database:                  psql "$HCWATCH_DATABASE_URL"
  Huawei (simulated):        http://127.0.0.1:$SIM_PORT  (hcwatch-sim serve, 50 customers)

What happened: hcwatch-sim signed a binding notification for customer $demo_id with the
demo key and posted it as a browser would; hcwatch answered "$answer".
  psql "$HCWATCH_DATABASE_URL" -c "SELECT customer_id, account_name, first_bound_at FROM customers"
  psql "$HCWATCH_DATABASE_URL" -c "SELECT received_at, status, reason FROM callback_events ORDER BY id DESC LIMIT 5"
Send another:  $SIM bind --url http://127.0.0.1:$PORT/huawei/bind --key $VAR/keys/huawei.key --domain-id you
A forged one:  add --tamper signature  (answered 403, recorded as rejected)

The poller is syncing the simulator's customers, balances and expiring resources
(10 calls per second per API, as Huawei allows; about 10 s for the first sweep):
  psql "$HCWATCH_DATABASE_URL" -c "SELECT job, status, calls, items, finished_at FROM poll_runs ORDER BY id"
  psql "$HCWATCH_DATABASE_URL" -c "SELECT customer_id, resource_name, expire_time, expire_policy FROM resources WHERE gone_at IS NULL ORDER BY expire_time LIMIT 10"
Renew one and watch the event on the next sweep (every 300 s):
  curl -s localhost:$SIM_PORT/_sim/mutate -d '{"op":"resource","resource_id":"<id>","set":{"expire_time":"2030-01-01T00:00:00Z"}}'

After the first sweep the alerts go to the simulated WeCom robot and webhook (paced at
WeCom's 18 messages a minute), as one digest per destination:
  HCWATCH_DATABASE_URL=$HCWATCH_DATABASE_URL $HCWATCH -c $VAR/hcwatch.conf alerts list
  HCWATCH_DATABASE_URL=$HCWATCH_DATABASE_URL $HCWATCH -c $VAR/hcwatch.conf alerts deliveries
  curl -s 'localhost:$SIM_PORT/_sim/messages?channel=wecom' | python3 -m json.tool | less

Ctrl-C stops hcwatch and PostgreSQL.
MSG
wait "$hc_pid"

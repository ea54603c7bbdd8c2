#!/usr/bin/env bash
# Signed appends of this ledger beside a hash-chained audit table in PostgreSQL 15, on the same
# machine in the same run (docs/bench.md, "PostgreSQL comparison").
#
#   tools/pg_compare.sh [EVENTS]     # as root, from the repository root, after building; default 20000
#
# In order: the ledger over HTTP (a ledgerd on a fresh data directory, driven by
# `ledgerctl bench --server`), the ledger in-process (`ledgerctl bench`, appends only), then
# PostgreSQL: a throwaway cluster in a temporary folder (fsync on, synchronous_commit on) whose
# table computes SHA-256 over the previous row's hash and the payload in a BEFORE INSERT trigger,
# the chain kept linear by locking its head row, loaded by pgbench with the same number of
# inserts, the same payload size and 64 clients. Only one of the three runs at a time. Every
# temporary file, the cluster and ledgerd are removed or stopped on exit, however it exits.
set -euo pipefail

events=${1:-20000}
clients=64
build=${BUILD_DIR:-build}
ledgerctl=$build/ledgerctl
ledgerd=$build/ledgerd
pg_bin=/usr/lib/postgresql/15/bin
pg_port=${PG_PORT:-54329}  # On a private socket only (no TCP), so the port is only its name.

die() { echo "pg_compare: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root (it installs PostgreSQL if missing and runs it as the postgres user)"
[[ -x $ledgerctl && -x $ledgerd ]] || die "build first: $ledgerctl and $ledgerd are missing"
(( events >= clients )) || die "EVENTS must be at least $clients"
per_client=$(( (events + clients - 1) / clients ))  # pgbench runs whole transactions per client
pg_inserts=$(( per_client * clients ))

work=$(mktemp -d /tmp/pg-compare.XXXXXX)
ledgerd_pid=""
cleanup() {
  set +e
  if [[ -n $ledgerd_pid ]]; then kill "$ledgerd_pid" 2>/dev/null; wait "$ledgerd_pid" 2>/dev/null; fi
  if [[ -f $work/pg/postmaster.pid ]]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- (a) PostgreSQL 15 -----------------------------------------------------------------------
if [[ ! -x $pg_bin/postgres || ! -x $pg_bin/pgbench ]]; then
  echo "pg_compare: installing PostgreSQL 15" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
"$pg_bin/postgres" --version | grep -q ' 15\.' || die "expected PostgreSQL 15 in $pg_bin"

# Field `name` of the one-line JSON object bench --json prints.
figure() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | cut -d: -f2; }

# --- (d) our signed appends: over HTTP against ledgerd, then in-process -----------------------
"$ledgerctl" keygen --name pg-compare-admin --out "$work/admin.key" >/dev/null 2>&1
"$ledgerctl" init --data "$work/ledger" --origin pg-compare-ledger --admin "$work/admin.key.pub" >/dev/null 2>&1
"$ledgerd" --data "$work/ledger" --listen 127.0.0.1:0 2>"$work/ledgerd.log" &
ledgerd_pid=$!
for _ in $(seq 100); do grep -q 'on http://' "$work/ledgerd.log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/ledgerd.log") || die "ledgerd did not start: $(cat "$work/ledgerd.log")"
echo "== ledger over HTTP: ledgerctl bench --server $url --events $events (ledgerd on a fresh data directory)"
"$ledgerctl" bench --server "$url" --key "$work/admin.key" --events "$events" --balance-seconds 0 >"$work/http.txt"
cat "$work/http.txt"
kill "$ledgerd_pid"; wait "$ledgerd_pid" || true; ledgerd_pid=""
# "... N events (signed events of B bytes), R events/s = ..."
read -r payload_bytes http_rate < <(sed -n 's/.*(signed events of \([0-9]*\) bytes), \([0-9]*\) events\/s.*/\1 \2/p' "$work/http.txt")
[[ -n $http_rate ]] || die "no HTTP append rate in the bench's output"

echo "== ledger in-process: ledgerctl bench --events $events --roster-events 0 --fund-events 0 --no-http"
in_json=$("$ledgerctl" bench --events "$events" --roster-events 0 --fund-events 0 --no-http --balance-seconds 0 --json)
in_rate=$(figure "$in_json" signed_appends_per_second)
verify_limit=$(figure "$in_json" verify_limit_before_appends_per_second)
write_limit=$(figure "$in_json" synced_batch_writes_per_second)
printf 'in-process signed appends: %.0f events/s; machine: %s cores, Ed25519 verify limit %.0f/s, synced RocksDB batch writes %.0f/s\n' \
  "$in_rate" "$(nproc)" "$verify_limit" "$write_limit"

# --- (b) PostgreSQL: a throwaway cluster and the hash-chained table --------------------------
chmod 755 "$work"
install -d -o postgres -g postgres "$work/pg" "$work/socket"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --no-sync >/dev/null
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$work/socket'
port = $pg_port
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = $((clients + 16))
shared_buffers = 256MB
EOF
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start >/dev/null
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work/socket" -p "$pg_port" -U postgres -d postgres)
"${psql[@]}" <<'SQL'
-- The chain's head: one row, locked by every insert, so the chain is linear.
CREATE TABLE chain_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  seq bigint NOT NULL,
  hash bytea NOT NULL
);
INSERT INTO chain_head VALUES (true, 0, sha256(''));
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  payload bytea NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- hash = SHA-256(previous row's hash || payload), computed by the database itself.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head chain_head;
BEGIN
  SELECT * INTO head FROM chain_head FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.hash := sha256(head.hash || NEW.payload);
  UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();
SQL

# --- (c) the same workload: $events inserts of payloads the size of our signed events ----------
# The payload is made in the INSERT (16 random bytes repeated to the size): cheap next to the
# trigger and the commit, and no client has to ship it.
cat >"$work/insert.sql" <<'EOF'
INSERT INTO audit_log (payload) VALUES (substring(decode(repeat(md5(random()::text), (:size + 15) / 16), 'hex') FROM 1 FOR :size));
EOF
echo "== PostgreSQL 15: $pg_inserts inserts of $payload_bytes-byte payloads, $clients clients (pgbench), fsync on, synchronous_commit on"
"$pg_bin/pgbench" -n -h "$work/socket" -p "$pg_port" -U postgres -c "$clients" -j "$(nproc)" \
  -t "$per_client" -M prepared -D size="$payload_bytes" -f "$work/insert.sql" postgres >"$work/pgbench.txt" 2>&1 \
  || { cat "$work/pgbench.txt"; die "pgbench failed"; }
grep -E 'number of transactions actually processed|latency average|^tps' "$work/pgbench.txt"
pg_rate=$(grep -o 'tps = [0-9.]*' "$work/pgbench.txt" | head -1 | cut -d' ' -f3)
check=$("${psql[@]}" -At <<'SQL'
SELECT count(*) || ' rows, ' ||
       count(*) FILTER (WHERE hash <> sha256(prev_hash || payload)) || ' bad hashes, ' ||
       (SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash) ||
       ' broken links, seq ' || min(seq) || '..' || max(seq)
FROM audit_log;
SQL
)
echo "PostgreSQL chain check: $check"
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null

# --- (e) both rates and the ratios --------------------------------------------------------------
echo "== result ($(nproc) cores, shared with whatever else runs on this machine)"
awk -v http="$http_rate" -v inproc="$in_rate" -v pg="$pg_rate" -v writes="$write_limit" 'BEGIN {
  printf "PostgreSQL hash-chained inserts:      %8.0f rows/s (no signature checked; the disk did %.0f synced RocksDB writes/s one after another)\n", pg, writes
  printf "ledger signed appends over HTTP:      %8.0f events/s = %.2f x PostgreSQL (two signatures verified per append: request and event)\n", http, http / pg
  printf "ledger signed appends in-process:     %8.0f events/s = %.2f x PostgreSQL (one signature verified per append)\n", inproc, inproc / pg
  printf "target: >= 4 x PostgreSQL\n"
}'

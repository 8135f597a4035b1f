#!/usr/bin/env bash
# Delivery to the central history, measured on a real daemon and a throwaway
# PostgreSQL cluster on loopback (initdb + pg_ctl, as the tests start them):
#   1. 1000 outcomes × 210 module rows already in the outbox (the daemon was cut off):
#      rows per second delivered;
#   2. a backlog of 10 000 outcomes × 210 module rows after an outage: time to drain,
#      and the daemon's peak RSS during it.
# Usage: bash Benchmarks/central.sh [OUTCOMES_SMALL=1000] [OUTCOMES_LARGE=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-1000}
large=${2:-10000}
swift build -c release --product retaind >&2
swift build -c release --product CentralBacklogMaker >&2
bin=$(swift build -c release --show-bin-path)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
w=$(pwd)/.build-bench/central
rm -rf "$w" && mkdir -p "$w/runs" && chmod 755 "$w"
pg=$w/pg && mkdir -p "$pg"
echo owner-secret > "$pg/owner.pw"
echo retaind-secret > "$w/retaind.pw"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown -R postgres "$pg"
port=$((20000 + RANDOM % 30000))
as_pg "$pgbin/initdb" -D "$pg/data" -U owner --auth=scram-sha-256 --pwfile="$pg/owner.pw" --locale=C -E UTF8 >/dev/null
printf "port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$port" "$pg" >> "$pg/data/postgresql.conf"
as_pg "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w start >/dev/null
trap 'as_pg "$pgbin/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
export PGPASSWORD=owner-secret
psql -h "$pg" -p "$port" -U owner -d postgres -qc "CREATE ROLE retaind LOGIN PASSWORD 'retaind-secret'"
psql -h "$pg" -p "$port" -U owner -d postgres -qc "CREATE DATABASE retaind OWNER owner"
fixtures=$(pwd)/Tests/Fixtures/tiny-llama
config() {  # $1: database
  cat > "$w/retaind.toml" <<TOML
[store]
database = "$1"
[store.central]
url = "postgresql://retaind@127.0.0.1:$port/retaind"
password_file = "$w/retaind.pw"
tls = "disable"
host = "bench"
[[watch]]
name = "runs"
dirs = ["$w/runs"]
base = "$fixtures/base"
retain_profile = "$fixtures/retain.profile.safetensors"
forget_profile = "$fixtures/forget.profile.safetensors"
[watch.gate]
threshold = 0.001
TOML
}
config "$w/unused.sqlite"
"$bin/retaind" central migrate --config "$w/retaind.toml" --url "postgresql://owner@127.0.0.1:$port/retaind" \
  --password-file "$pg/owner.pw" --grant retaind >/dev/null

count() { psql -h "$pg" -p "$port" -U owner -d retaind -Atc "SELECT count(*) FROM checkpoint WHERE host = 'bench'"; }
drain() {  # $1: outcomes already delivered before, $2: outcomes to deliver
  local db=$w/history-$2.sqlite
  "$bin/CentralBacklogMaker" "$db" "$2" 210 >&2
  config "$db"
  local start; start=$(date +%s.%N)
  "$bin/retaind" run --config "$w/retaind.toml" 2>/dev/null &
  local pid=$! peak=0
  until [ "$(count)" -ge $(($1 + $2)) ]; do
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
    sleep 0.2
  done
  local end; end=$(date +%s.%N)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status); [ "$hwm" -gt "$peak" ] && peak=$hwm
  kill -TERM $pid; wait $pid || true
  local seconds; seconds=$(echo "$end - $start" | bc -l)
  local rows=$(($2 * 211))
  printf "%6d outcomes (%d rows): %.1f s from start to drained, %.0f rows/s, %.0f outcomes/s, daemon peak RSS %d MiB\n" \
    "$2" "$rows" "$seconds" "$(echo "$rows / $seconds" | bc -l)" "$(echo "$2 / $seconds" | bc -l)" $((peak / 1024))
}
drain 0 "$small"
drain "$small" "$large"
echo "central rows: $(count) checkpoints, $(psql -h "$pg" -p "$port" -U owner -d retaind -Atc "SELECT count(*) FROM module WHERE host = 'bench'") modules (each once)"

#!/usr/bin/env bash
# The cut-over drill example, end to end, in one command: start the PostgreSQL lab of
# examples/pg-failover (site A = primary h1, site B = standby h2, clients' endpoint on h3),
# run `drctl drill runbooks/site-cutover-drill.yaml`, check that the endpoint, the data and
# the replication are exactly as before, print the report's phases, stop the lab.
#
#   examples/cutover-drill/run.sh [DIR]      (DRCTL=path/to/drctl to use another build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$(mktemp -d /tmp/drctl-cutover-drill.XXXXXX)}
drctl=${DRCTL:-}
if [ -z "$drctl" ]; then
  cargo build -q --manifest-path "$root/Cargo.toml"
  drctl=$root/target/debug/drctl
fi
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
net=${NET:-127.78.0}
export DRCTL_STATE_DIR=$dir/state
lab=$root/examples/pg-failover/lab.sh
trap '"$lab" stop "$dir" >/dev/null' EXIT
"$lab" start "$dir"
user=$(awk '/^  user:/ {print $2; exit}' "$dir/inventory.yaml")
endpoint=$dir/hosts/h3/db-endpoint
q() { "$pgbin/psql" -h "$1" -p 5432 -U "$user" -d postgres -qtAX -c "$2"; }
q "$net.1" "insert into acked(id) select generate_series(1, 1000)"
state() {
  echo "endpoint: $(cat "$endpoint")"
  echo "site A rows: $(q "$net.1" "select count(*), sum(id) from acked")"
  echo "site B rows: $(q "$net.2" "select count(*), sum(id) from acked")"
  echo "site A in recovery: $(q "$net.1" "select pg_is_in_recovery()")"
  echo "site B in recovery: $(q "$net.2" "select pg_is_in_recovery()")"
  echo "replication: $(q "$net.1" "select application_name || ' ' || sync_state from pg_stat_replication")"
}
sleep 0.2
before=$(state)
set +e
"$drctl" drill "$root/runbooks/site-cutover-drill.yaml" -i "$dir/inventory.yaml" --yes \
  -e endpoint="$endpoint" -e pgbin="$pgbin" --no-progress --report-dir "$dir/reports"
code=$?
set -e
after=$(state)
echo
echo "drctl exit code: $code"
echo "before:"; sed 's/^/  /' <<<"$before"
if [ "$before" = "$after" ]; then echo "after: identical (the drill left the environment as it began)"; else
  echo "after: DIFFERENT"; sed 's/^/  /' <<<"$after"; fi
sed -n '/^## Phases/,/^## Steps/p' "$dir/reports/drctl-site-cutover.md" | sed '$d'
[ "$code" = 0 ] && [ "$before" = "$after" ]

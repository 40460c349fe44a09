#!/usr/bin/env bash
# The cut-over drill example, end to end, in one command: start the PostgreSQL lab of
# examples/pg-failover (site A = primary h1, site B = standby h2, clients' endpoint on h3),
# run `drctl drill runbooks/site-cutover-drill.yaml`, check that the endpoint, the data and
# the replication are exactly as before, print the report's phases, stop the lab.
#
#   examples/cutover-drill/run.sh [DIR]      (DRCTL=path/to/drctl to use another build)
set -euo pipefail
example=cutover-drill
# shellcheck source=examples/pg-failover/common.sh
source "$(dirname "$0")/../pg-failover/common.sh"

start_lab
endpoint=$dir/hosts/h3/db-endpoint
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

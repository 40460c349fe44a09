#!/usr/bin/env bash
# The hot-migration example, end to end, in one command: start the PostgreSQL lab of
# examples/pg-failover, run a client that writes through the endpoint record all along
# (one connection per insert, each acknowledged id noted with its time), run
# `drctl migrate runbooks/app-migration.yaml` to move the service from h1 to h3, then
# report the write-unavailability window the client saw and check that every acknowledged
# row is on the target. Stops the lab.
#
#   examples/hot-migration/run.sh [DIR]      (DRCTL=path/to/drctl; EXTRA="-e k=v" for drctl)
set -euo pipefail
example=hot-migration
# shellcheck source=examples/pg-failover/common.sh
source "$(dirname "$0")/../pg-failover/common.sh"
start_lab
endpoint=$dir/hosts/h3/db-endpoint
q "$net.1" "insert into acked(id) select -g from generate_series(1, 20000) g"   # some data to copy

start_writer
until [ "$(acked)" -ge 30 ]; do sleep 0.05; done

set +e
# shellcheck disable=SC2086
"$drctl" migrate "$root/runbooks/app-migration.yaml" -i "$dir/inventory.yaml" \
  -e endpoint="$endpoint" -e pgbin="$pgbin" --no-progress --report-dir "$dir/reports" ${EXTRA:-}
code=$?
set -e
before=$(acked)
for _ in $(seq 1 100); do [ "$(acked)" -ge $((before + 20)) ] && break; sleep 0.05; done
stop_writer

now_on=$(cat "$endpoint" | sed 's/.*host=\([^ ]*\).*/\1/')
on_target=$(q "$now_on" "select id from acked where id > 0 order by id")
lost=$(comm -23 <(acked_ids) <(sort -u <<<"$on_target") | wc -l)
window=$(awk 'NR > 1 { gap = ($2 - prev) / 1e6; if (gap > max) max = gap } { prev = $2 } END { printf "%d", max }' "$dir/acked.txt")
echo
echo "drctl exit code:            $code"
echo "service now on:             $now_on"
echo "acknowledged writes:        $(acked)"
echo "acknowledged rows missing:  $lost on $now_on"
echo "write-unavailability window: $window ms (longest gap between acknowledged writes)"
sed -n '/^| Recovery time/p;/^## Phases/,/^## Steps/p' "$dir/reports/drctl-pg-migration.md" | sed '$d'
[ "$code" = 0 ] && [ "$lost" = 0 ]

#!/usr/bin/env bash
# The PostgreSQL failover example, end to end, in one command:
#   1. start the lab (examples/pg-failover/lab.sh): primary h1, synchronous standby h2, proxy h3;
#   2. a client writes rows through h3's endpoint record, noting every acknowledged commit;
#   3. the disaster: h1's PostgreSQL and sshd are killed mid-stream;
#   4. `drctl failover runbooks/pg-failover.yaml` fences h1, promotes h2 after the approval
#      gate (--approve confirm-promote), waits until it is writable, repoints the endpoint,
#      writes through it;
#   5. checks that every acknowledged row is on the new primary (RPO 0) and that the client's
#      new writes succeed; prints the figures; stops the lab.
#
#   examples/pg-failover/run.sh [DIR]      (DRCTL=path/to/drctl to use another build)
set -euo pipefail
example=pg-failover
# shellcheck source=examples/pg-failover/common.sh
source "$(dirname "$0")/../pg-failover/common.sh"

start_lab
endpoint=$dir/hosts/h3/db-endpoint

# The client (common.sh): acknowledged ids only, synchronous_commit = on.
start_writer

until [ "$(acked)" -ge 50 ]; do sleep 0.05; done
"$lab" kill-primary "$dir"
before=$(acked)
last_before=$(last_acked)
t0=$(date +%s%N)

set +e
"$drctl" failover "$root/runbooks/pg-failover.yaml" -i "$dir/inventory.yaml" \
  --approve confirm-promote -e endpoint="$endpoint" -e pgbin="$pgbin" --no-progress \
  --report-dir "$dir/reports"
code=$?
set -e
t1=$(date +%s%N)

# New writes go through the repointed endpoint.
for _ in $(seq 1 100); do
  [ "$(last_acked)" -gt "$last_before" ] && [ "$(acked)" -ge $((before + 20)) ] && break
  sleep 0.1
done
stop_writer

on_new=$(q "$net.2" "select id from acked order by id")
lost=$(comm -23 <(acked_ids) <(sort -u <<<"$on_new") | wc -l)
after=$(( $(acked) - before ))
echo
echo "drctl exit code:            $code"
echo "acknowledged before loss:   $before (last id $last_before)"
echo "acknowledged rows missing:  $lost on the new primary (RPO 0 means 0)"
echo "new writes after failover:  $after"
echo "time to failover complete:  $(( (t1 - t0) / 1000000 )) ms (drctl, incl. process start)"
"$drctl" report --format md | sed -n '/^| Recovery time/p;/^## Phases/,/^## Steps/p' | sed '$d'
# Exit 3: the failover completed, but the fence of the dead primary failed and the run went
# on past it (on_failure: continue); drctl says so, since a human must make sure the old
# primary stays down.
[ "$code" = 3 ] && [ "$lost" = 0 ] && [ "$after" -gt 0 ]

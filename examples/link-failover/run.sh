#!/usr/bin/env bash
# The link failover example, end to end, in one command (as root: network namespaces):
#   1. start the lab (examples/link-failover/lab.sh): a branch router with a primary (wired)
#      and a backup (4G: +40 ms each way) uplink, a client on the site LAN, a service upstream;
#   2. the client sends a request to the service every 50 ms and notes every reply;
#   3. the disaster: the primary link is black-holed (every packet dropped, link still up);
#   4. `drctl failover runbooks/link-failover.yaml` confirms the primary is down, switches
#      the router's default route to the backup and proves the service answers through it;
#   5. the primary is healed; `drctl cutover runbooks/link-failback.yaml` checks it is
#      healthy, switches back and proves the service answers through it;
#   6. prints the outage the client saw (longest time without a reply) and the run times;
#      stops the lab.
#
#   examples/link-failover/run.sh [DIR]      (DRCTL=path/to/drctl to use another build)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$(mktemp -d /tmp/drctl-link-failover.XXXXXX)}
drctl=${DRCTL:-}
if [ -z "$drctl" ]; then
  cargo build -q --manifest-path "$root/Cargo.toml"
  drctl=$root/target/debug/drctl
fi
export DRCTL_STATE_DIR=$dir/state
lab=$here/lab.sh
client_pid=
stop_client() {
  if [ -n "$client_pid" ]; then
    kill -TERM "$client_pid" 2>/dev/null || true
    wait "$client_pid" 2>/dev/null || true
    client_pid=
  fi
}
cleanup() {
  stop_client
  "$lab" stop "$dir" >/dev/null
}
trap cleanup EXIT

"$lab" start "$dir"
# shellcheck source=/dev/null
source "$dir/lab.env"
replies=$dir/replies.txt
: > "$replies"
ip netns exec "$NS_LAN" python3 "$here/netlab.py" client "$SERVICE" 80 "$replies" </dev/null >>"$dir/client.log" 2>&1 &
client_pid=$!
echo "client $client_pid" >> "$dir/pids"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
count() { wc -l < "$replies"; }
# Wait (at most 10 s) until N more replies than now arrived.
more_replies() {
  local want=$(( $(count) + $1 ))
  for _ in $(seq 1 200); do
    [ "$(count)" -ge "$want" ] && return 0
    sleep 0.05
  done
  echo "the client got no replies: $(cat "$dir/client.log")" >&2
  return 1
}
route() { "$lab" route "$dir" | sed 's/ *$//'; }
report_line() { sed -n "s/^| $2 | \(.*\) |$/\1/p" "$dir/reports/drctl-$1.md" | head -1; }

more_replies 20
route_before=$(route)

# The disaster: the wired line drops everything.
t_break=$(now)
"$lab" break-primary "$dir"
set +e
"$drctl" failover "$root/runbooks/link-failover.yaml" -i "$dir/inventory.yaml" \
  --no-progress --report-dir "$dir/reports"
code_failover=$?
set -e
t_failover=$(now)
more_replies 20
route_failover=$(route)
read -r outage_failover n_failover <<<"$(python3 "$here/netlab.py" outage "$replies" "$t_break" "$(now)")"
via_backup=$(grep -c '198\.51\.100\.129$' "$replies" || true)

# The line comes back.
"$lab" heal-primary "$dir"
t_failback0=$(now)
set +e
"$drctl" cutover "$root/runbooks/link-failback.yaml" -i "$dir/inventory.yaml" \
  --no-progress --report-dir "$dir/reports"
code_failback=$?
set -e
t_failback=$(now)
more_replies 20
route_failback=$(route)
read -r gap_failback _ <<<"$(python3 "$here/netlab.py" outage "$replies" "$t_failback0" "$(now)")"
last_reply=$(tail -1 "$replies" | cut -d' ' -f3)
stop_client

echo
echo "route before:               $route_before"
echo "drctl failover exit code:   $code_failover"
echo "route after failover:       $route_failover"
echo "client outage:              $outage_failover ms (longest time without a reply, from the black-hole on; $n_failover replies)"
echo "replies through the backup: $via_backup"
echo "failover run:               $(ms "$t_break" "$t_failover") ms (drctl process, incl. start)"
echo "failover recovery time:     $(report_line link-failover 'Recovery time') (journal, first step to last)"
echo "drctl failback exit code:   $code_failback"
echo "route after failback:       $route_failback"
echo "client gap during failback: $gap_failback ms (longest time without a reply)"
echo "failback run:               $(ms "$t_failback0" "$t_failback") ms (drctl process, incl. start)"
echo "failback recovery time:     $(report_line link-failback 'Recovery time') (journal, first step to last)"
echo "last reply:                 $last_reply"
echo "client reply time:          $(awk '{ split($3, a, "_"); t[a[4]] += ($2 - $1) / 1e6; n[a[4]]++ }
  END { printf "%.1f ms via the primary, %.1f ms via the backup (mean, new TCP connection per request)",
        t["198.51.100.1"] / (n["198.51.100.1"] + 0.0001), t["198.51.100.129"] / (n["198.51.100.129"] + 0.0001) }' "$replies")"
sed -n '/^## Phases/,/^## Steps/p' "$dir/reports/drctl-link-failover.md" | sed '$d'
[ "$code_failover" = 0 ] && [ "$code_failback" = 0 ] &&
  [ "$route_failover" = "default via 198.51.100.130 dev wwan0" ] &&
  [ "$route_failback" = "$route_before" ] && [ "$via_backup" -gt 0 ]

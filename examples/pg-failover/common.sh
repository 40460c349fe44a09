# Sourced by the examples' run.sh scripts (set `example` first, pass the script's "$@"):
# where the repo is, the lab folder, the drctl to use (DRCTL, else a fresh debug build),
# PostgreSQL's binaries (PGBIN), the lab's loopback network (NET), and two helpers:
# start_lab (starts examples/pg-failover/lab.sh in $dir, sets $user) and q HOST SQL.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-$(mktemp -d "/tmp/drctl-$example.XXXXXX")}
drctl=${DRCTL:-}
if [ -z "$drctl" ]; then
  cargo build -q --manifest-path "$root/Cargo.toml"
  drctl=$root/target/debug/drctl
fi
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
net=${NET:-127.78.0}
export NET=$net
export DRCTL_STATE_DIR=$dir/state
lab=$root/examples/pg-failover/lab.sh
user=
start_lab() {
  "$lab" start "$dir"
  user=$(awk '/^  user:/ {print $2; exit}' "$dir/inventory.yaml")
}
q() { "$pgbin/psql" -h "$1" -p 5432 -U "$user" -d postgres -qtAX -c "$2"; }

# The client the failover and migration examples run during the disaster: one insert per
# connection through h3's endpoint record; "id nanoseconds" goes to $dir/acked.txt only
# once the commit was acknowledged. The EXIT trap stops it and the lab.
writer_pid=
start_writer() {
  local endpoint=$dir/hosts/h3/db-endpoint
  (
    i=0
    while [ ! -e "$dir/stop-writer" ]; do
      i=$((i + 1))
      if PGOPTIONS="-c statement_timeout=2s" "$pgbin/psql" "$(cat "$endpoint") user=$user dbname=postgres connect_timeout=1" \
          -qtAX -c "insert into acked(id) values ($i)" >/dev/null 2>&1; then
        echo "$i $(date +%s%N)" >> "$dir/acked.txt"
      fi
      sleep 0.005
    done
  ) &
  writer_pid=$!
}
stop_writer() {
  touch "$dir/stop-writer"
  [ -n "$writer_pid" ] && wait "$writer_pid" 2>/dev/null || true
  writer_pid=
}
acked() { [ -f "$dir/acked.txt" ] && wc -l < "$dir/acked.txt" || echo 0; }
last_acked() { tail -1 "$dir/acked.txt" | cut -d' ' -f1; }
acked_ids() { cut -d' ' -f1 "$dir/acked.txt" | sort -u; }
cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  "$lab" stop "$dir" >/dev/null
}
trap cleanup EXIT

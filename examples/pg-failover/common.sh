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

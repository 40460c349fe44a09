#!/usr/bin/env bash
# A PostgreSQL failover lab on loopback: three simulated hosts, each a real OpenSSH sshd on
# its own address (NET.1-3:2222) with its own host key.
#   h1 (group primary): PostgreSQL 15 primary on NET.1:5432, synchronous replication to h2
#   h2 (group standby): streaming standby on NET.2:5432 (application_name h2)
#   h3 (group proxies): holds the endpoint clients connect to: $HOST_DIR/db-endpoint
# PostgreSQL and the SSH logins run as a non-root user (the current user, or, as root, the
# account drctl-lab, created if missing). Each host's environment (sshd SetEnv) names its
# cluster: PGDATA, PGHOST, PGPORT, PGUSER, PGDATABASE, HOST_DIR.
#
#   examples/pg-failover/lab.sh start DIR     # writes DIR/inventory.yaml, DIR/pids
#   examples/pg-failover/lab.sh kill-primary DIR   # the disaster: h1's postgres and sshd die
#   examples/pg-failover/lab.sh stop DIR      # stops exactly the recorded pids
set -euo pipefail
cmd=${1:?usage: lab.sh start|stop|kill-primary DIR}
dir=${2:?usage: lab.sh start|stop|kill-primary DIR}
net=${NET:-127.78.0}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}

if [ "$(id -u)" = 0 ]; then
  user=drctl-lab
  as_user() { runuser -u "$user" -- "$@"; }
else
  user=$(id -un)
  as_user() { "$@"; }
fi

stop_lab() {
  [ -f "$dir/pids" ] || return 0
  while read -r name pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done < "$dir/pids"
  # Clusters the runbooks started (a restored or migrated copy) are the lab's too.
  for f in "$dir"/hosts/*/pgdata/postmaster.pid; do
    [ -f "$f" ] && kill -KILL "$(head -1 "$f")" 2>/dev/null || true
  done
  rm -f "$dir/pids"
}

case $cmd in
stop)
  stop_lab
  echo "pg lab in $dir stopped"
  exit 0
  ;;
kill-primary)
  # The disaster: the primary's database and its SSH daemon (the whole host) die at once.
  grep -E '^(pg-h1|sshd-h1) ' "$dir/pids" | while read -r name pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  echo "primary h1 killed"
  exit 0
  ;;
start) ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac

[ -x "$pgbin/postgres" ] || { echo "PostgreSQL 15 not found in $pgbin: apt-get install postgresql" >&2; exit 1; }
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "sshd not found: apt-get install openssh-server" >&2; exit 1; }
[ -e "$dir/pids" ] && { echo "$dir/pids exists: stop the running lab first" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
  if ! id "$user" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$user"
  fi
  # sshd (UsePAM no) refuses key logins to accounts with a locked password (`!`).
  usermod -p '*' "$user"
  mkdir -p /run/sshd
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" <<<y >/dev/null 2>&1 || true
cp "$dir/client_key.pub" "$dir/authorized_keys"
chmod 644 "$dir/authorized_keys"
: > "$dir/known_hosts"
: > "$dir/pids"
cat > "$dir/inventory.yaml" <<EOF
# Written by examples/pg-failover/lab.sh
defaults:
  user: $user
  identity: $dir/client_key
  known_hosts: $dir/known_hosts
  connect_timeout: 3s
hosts:
  h1: { addr: $net.1, port: 2222 }
  h2: { addr: $net.2, port: 2222 }
  h3: { addr: $net.3, port: 2222 }
groups:
  primary: [h1]
  standby: [h2]
  proxies: [h3]
  backups: [h2]     # examples/backup-restore: the second copy lives on another host
  fresh: [h3]       # examples/backup-restore: the host restored onto
  source: [h1]      # examples/hot-migration: the service moves from h1 ...
  target: [h3]      # ... to h3
EOF

for k in 1 2 3; do
  h=h$k
  hd=$dir/hosts/$h
  mkdir -p "$hd"
  [ "$(id -u)" = 0 ] && chown "$user" "$hd"
  rm -f "$dir/hostkey_$h" "$dir/hostkey_$h.pub"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey_$h"
  cat > "$dir/sshd_$h.conf" <<EOF
ListenAddress $net.$k:2222
HostKey $dir/hostkey_$h
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
MaxSessions 100
MaxStartups 200
UseDNS no
LogLevel ERROR
Subsystem sftp internal-sftp
SetEnv SHLVL=1 HOST_DIR=$hd PGDATA=$hd/pgdata PGHOST=$net.$k PGPORT=5432 PGUSER=$user PGDATABASE=postgres PGCONNECT_TIMEOUT=3
EOF
  "$sshd" -D -e -f "$dir/sshd_$h.conf" </dev/null >>"$dir/sshd.log" 2>&1 &
  echo "sshd-$h $!" >> "$dir/pids"
  echo "[$net.$k]:2222 $(cut -d' ' -f1,2 "$dir/hostkey_$h.pub")" >> "$dir/known_hosts"
done

pg_conf() { # host k, extra lines
  local hd=$dir/hosts/h$1
  cat >> "$hd/pgdata/postgresql.conf" <<EOF
listen_addresses = '$net.$1'
port = 5432
unix_socket_directories = '$hd'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = on
log_min_messages = warning
EOF
}

start_pg() { # host k
  local hd=$dir/hosts/h$1
  as_user "$pgbin/pg_ctl" -D "$hd/pgdata" -l "$hd/postgres.log" -w -t 30 start >/dev/null
  echo "pg-h$1 $(head -1 "$hd/pgdata/postmaster.pid")" >> "$dir/pids"
}

# h1: the primary, synchronous commit waits for h2.
h1=$dir/hosts/h1
as_user "$pgbin/initdb" -D "$h1/pgdata" -U "$user" --auth=trust >/dev/null
pg_conf 1
mkdir -p "$h1/wal-archive"
[ "$(id -u)" = 0 ] && chown "$user" "$h1/wal-archive"
cat >> "$h1/pgdata/postgresql.conf" <<EOF
synchronous_standby_names = 'h2'
synchronous_commit = on
# Completed WAL segments are archived on h1: the incremental part of examples/backup-restore.
archive_mode = on
archive_command = 'test ! -f $h1/wal-archive/%f && cp %p $h1/wal-archive/%f'
EOF
echo "host replication all 127.0.0.0/8 trust" >> "$h1/pgdata/pg_hba.conf"
echo "host all all 127.0.0.0/8 trust" >> "$h1/pgdata/pg_hba.conf"
start_pg 1

# h2: a streaming standby cloned from h1.
h2=$dir/hosts/h2
as_user "$pgbin/pg_basebackup" -h "$net.1" -p 5432 -U "$user" -D "$h2/pgdata" -X stream -R >/dev/null
pg_conf 2
echo "primary_conninfo = 'host=$net.1 port=5432 user=$user application_name=h2'" >> "$h2/pgdata/postgresql.auto.conf"
start_pg 2

# Clients find the primary through h3's endpoint record.
echo "host=$net.1 port=5432" > "$dir/hosts/h3/db-endpoint"
[ "$(id -u)" = 0 ] && chown -R "$user" "$dir/hosts/h3"

psql1() { "$pgbin/psql" -h "$net.1" -p 5432 -U "$user" -d postgres -qtAX "$@"; }
psql1 -c "create table if not exists acked(id bigint primary key, at timestamptz default now())"
for _ in $(seq 1 100); do
  [ "$(psql1 -c "select sync_state from pg_stat_replication where application_name = 'h2'")" = sync ] && break
  sleep 0.1
done
[ "$(psql1 -c "select sync_state from pg_stat_replication where application_name = 'h2'")" = sync ] || {
  echo "h2 did not become a synchronous standby" >&2; exit 1; }
for k in 1 2 3; do
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$net.$k/2222") 2>/dev/null && break; sleep 0.05; done
done
echo "pg lab up in $dir: primary h1 ($net.1), synchronous standby h2 ($net.2), proxy h3; inventory $dir/inventory.yaml"

#!/usr/bin/env bash
# The backup-restore example, end to end, in one command:
#   1. start the PostgreSQL lab of examples/pg-failover and load 1,000 rows on h1;
#   2. take a full base backup (pg_basebackup, tar format), write 500 more rows, and keep
#      the WAL archived since as the incremental part (wal.tar.gz); SHA256SUMS and a CONTENT
#      record; two copies, 3-2-1 style: copy A on h1, copy B on another host (h2);
#   3. corrupt copy A (a few bytes in the middle of base.tar);
#   4. `drctl restore runbooks/pg-restore.yaml`: detects copy A is corrupt, fetches copy B,
#      restores base + WAL onto the fresh host h3, replays to the end, checks its content;
#   5. prints the figures and stops the lab.
#
#   examples/backup-restore/run.sh [DIR]      (DRCTL=path/to/drctl to use another build)
set -euo pipefail
example=backup-restore
# shellcheck source=examples/pg-failover/common.sh
source "$(dirname "$0")/../pg-failover/common.sh"

start_lab
as_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
q "$net.1" "insert into acked(id) select generate_series(1, 1000)"

a=$dir/hosts/h1/backups/latest
b=$dir/hosts/h2/backups/latest
t0=$(date +%s%N)
as_user mkdir -p "$(dirname "$a")"
ls "$dir/hosts/h1/wal-archive" > "$dir/wal-before-backup"
as_user "$pgbin/pg_basebackup" -h "$net.1" -p 5432 -U "$user" -D "$a" -Ft -X fetch -c fast
# The incremental part: changes after the full backup, in the WAL archived since.
q "$net.1" "insert into acked(id) select generate_series(1001, 1500)"
seg=$(q "$net.1" "select pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 100); do
  [ "$(q "$net.1" "select last_archived_wal from pg_stat_archiver")" \> "$seg" ] ||
    [ "$(q "$net.1" "select last_archived_wal from pg_stat_archiver")" = "$seg" ] && break
  sleep 0.1
done
# Only the segments archived since the full backup began.
(cd "$dir/hosts/h1/wal-archive" && ls | grep -vxFf "$dir/wal-before-backup" > "$dir/wal-since-backup" || true)
as_user tar -czf "$a/wal.tar.gz" -C "$dir/hosts/h1/wal-archive" -T "$dir/wal-since-backup"
q "$net.1" "select count(*) || ' ' || sum(id) from acked" > "$dir/content"
as_user cp "$dir/content" "$a/CONTENT"
(cd "$a" && as_user sh -c 'sha256sum base.tar wal.tar.gz backup_manifest CONTENT > SHA256SUMS')
as_user mkdir -p "$(dirname "$b")"
as_user cp -a "$a" "$b"
t1=$(date +%s%N)
# Bit rot on copy A.
printf 'CORRUPTED' | dd of="$a/base.tar" bs=1 seek=$(( $(stat -c %s "$a/base.tar") / 2 )) conv=notrunc status=none
mkdir -p "$dir/staging"

set +e
"$drctl" restore "$root/runbooks/pg-restore.yaml" -i "$dir/inventory.yaml" \
  -e copy_a="$a" -e copy_b="$b" -e staging="$dir/staging" -e restore_dir="$dir/hosts/h3" \
  -e pgbin="$pgbin" --no-progress --report-dir "$dir/reports"
code=$?
set -e
t2=$(date +%s%N)
restored=$(q "$net.3" "select count(*) || ' ' || sum(id) from acked" 2>/dev/null || echo none)
echo
echo "drctl exit code:    $code"
echo "backup size:        $(( $(stat -c %s "$b/base.tar") / 1024 )) KiB full + $(( $(stat -c %s "$b/wal.tar.gz") / 1024 )) KiB incremental (copies: A on h1, B on h2)"
echo "backup took:        $(( (t1 - t0) / 1000000 )) ms"
echo "copy used:          $(grep -q '"step":"fetch-copy-b","host":"h2","phase":"forward","ok":true' "$dir"/state/runs/*/journal.jsonl && echo B || echo A)"
echo "content at backup:  $(cat "$dir/content")"
echo "content restored:   $restored"
echo "restore took:       $(( (t2 - t1) / 1000000 )) ms (drctl, incl. process start)"
sed -n '/^## Phases/,/^## Steps/p' "$dir/reports/drctl-pg-restore.md" | sed '$d'
[ "$code" = 0 ] && [ "$restored" = "$(cat "$dir/content")" ]

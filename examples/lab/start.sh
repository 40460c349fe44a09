#!/usr/bin/env bash
# Start a local SSH lab: N real OpenSSH sshd processes, one per simulated host, each with
# its own host key on its own loopback address (127.77.0.K:2222), logging in as the
# current user with a lab-only key. Writes DIR/inventory.yaml (strict host keys, lab
# known_hosts) and DIR/pids; stop with examples/lab/stop.sh DIR.
#
#   examples/lab/start.sh /tmp/drctl-lab 3
#   drctl run my-runbook.yaml -i /tmp/drctl-lab/inventory.yaml
#
# Each host has a folder DIR/hosts/hK, exported to its commands as $HOST_DIR.
set -euo pipefail
dir=${1:?usage: start.sh DIR [N] [NET]}
n=${2:-3}
net=${3:-127.77.0}
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "sshd not found: apt-get install openssh-server" >&2; exit 1; }
mkdir -p "$dir/hosts"
dir=$(cd "$dir" && pwd)
[ -e "$dir/pids" ] && { echo "$dir/pids exists: stop the running lab first" >&2; exit 1; }
[ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
: > "$dir/known_hosts"
{
  echo "defaults:"
  echo "  user: $(id -un)"
  echo "  identity: $dir/client_key"
  echo "  known_hosts: $dir/known_hosts"
  echo "  connect_timeout: 3s"
  echo "hosts:"
} > "$dir/inventory.yaml"
for k in $(seq 1 "$n"); do
  h=h$k
  addr=$net.$k
  mkdir -p "$dir/hosts/$h"
  [ -f "$dir/hostkey_$h" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey_$h"
  cat > "$dir/sshd_$h.conf" <<CONF
ListenAddress $addr:2222
HostKey $dir/hostkey_$h
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
MaxSessions 200
MaxStartups 400
UseDNS no
LogLevel ERROR
Subsystem sftp internal-sftp
SetEnv SHLVL=1 HOST_DIR=$dir/hosts/$h
CONF
  "$sshd" -D -e -f "$dir/sshd_$h.conf" </dev/null >>"$dir/sshd.log" 2>&1 &
  echo $! >> "$dir/pids"
  echo "[$addr]:2222 $(cut -d' ' -f1,2 "$dir/hostkey_$h.pub")" >> "$dir/known_hosts"
  echo "  $h: { addr: $addr, port: 2222 }" >> "$dir/inventory.yaml"
done
echo "groups:" >> "$dir/inventory.yaml"
echo "  all: [$(seq -s, -f 'h%g' 1 "$n" | sed 's/,/, /g')]" >> "$dir/inventory.yaml"
for k in $(seq 1 "$n"); do
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/$net.$k/2222") 2>/dev/null && break
    sleep 0.05
  done
done
echo "lab up: $n hosts, inventory $dir/inventory.yaml"

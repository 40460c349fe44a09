#!/usr/bin/env bash
# A branch-site network lab in network namespaces (root only), four namespaces named
# lf-ID-{site,lan,isp,svc} with a random ID per lab, so several labs never collide:
#
#   lan                 site (branch router)                     isp                       svc
#   client ── eth0/lan0 ── 192.0.2.1, sshd :22
#   192.0.2.10            wan0  198.51.100.1   ── veth (primary) ───── 198.51.100.2   ─┐
#                         wwan0 198.51.100.129 ── TUN ⇄ relay ⇄ TUN ── 198.51.100.130 ─┴─ 203.0.113.1 ── 203.0.113.10:80
#                                                 (backup, "4G": +40 ms each way)
#
#   site: the branch router: forwards the site LAN (192.0.2.0/24) to its uplinks with NAT
#         (nftables masquerade on wan0 and wwan0, as a branch router does towards its ISPs),
#         default route via the primary 198.51.100.2 dev wan0; OpenSSH sshd as root on
#         192.0.2.1:22 (the router's commands, `ip route`, need root in the namespace).
#   isp:  the upstream: routes between the two links and the service network.
#   svc:  the service the site needs (HTTP on 203.0.113.10:80, answers "service ok for ADDR").
#   lan:  the site LAN, where the lab's client runs; drctl reaches the router's sshd through
#         a socat forwarder on ADDR:2222 in the root namespace (loopback) that enters the
#         LAN namespace (the router's out-of-band management path: it does not cross the WAN).
#
# Only documentation ranges inside the namespaces; only 127.0.0.0/8 in the root namespace.
#
#   examples/link-failover/lab.sh start DIR          # writes DIR/inventory.yaml, DIR/lab.env, DIR/pids
#   examples/link-failover/lab.sh break-primary DIR  # black-hole the primary link (both ends drop every packet)
#   examples/link-failover/lab.sh heal-primary DIR
#   examples/link-failover/lab.sh break-backup DIR   # the same for the backup link
#   examples/link-failover/lab.sh heal-backup DIR
#   examples/link-failover/lab.sh route DIR          # the router's default route
#   examples/link-failover/lab.sh stop DIR           # kills exactly the recorded pids, deletes veths and namespaces by name
#
# ADDR (default: 127.79.X.Y from the lab's ID) is the loopback address of the SSH forwarder;
# DELAY_MS (default 40) the backup link's added latency each way.
set -euo pipefail
usage="usage: lab.sh start|stop|break-primary|heal-primary|break-backup|heal-backup|route DIR"
cmd=${1:?$usage}
dir=${2:?$usage}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lab_env() {
  [ -f "$dir/lab.env" ] || { echo "no lab in $dir (no $dir/lab.env): start one first" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$dir/lab.env"
}

stop_lab() {
  if [ -f "$dir/pids" ]; then
    while read -r _name pid; do
      kill -KILL "$pid" 2>/dev/null || true
    done < "$dir/pids"
    rm -f "$dir/pids"
  fi
  if [ -f "$dir/lab.env" ]; then
    # shellcheck source=/dev/null
    source "$dir/lab.env"
    # The veth pairs by name (deleting one end deletes its peer); the TUN devices vanished
    # with the relay; then the namespaces by name (that would also take any device left).
    for link in "$NS_SITE/lan0" "$NS_SITE/wan0" "$NS_ISP/svc0" "$NS_SITE/wwan0" "$NS_ISP/site1"; do
      if [ -e "/run/netns/${link%/*}" ] && ip -n "${link%/*}" link show "${link#*/}" >/dev/null 2>&1; then
        ip -n "${link%/*}" link del "${link#*/}"
      fi
    done
    for ns in "$NS_SITE" "$NS_LAN" "$NS_ISP" "$NS_SVC"; do
      if [ -e "/run/netns/$ns" ]; then
        ip netns del "$ns"
      fi
    done
    rm -f "$dir/lab.env"
  fi
}

# Black-hole a link while it stays UP: the qdisc drops every packet on both ends
# (no netem on this kernel); deleting it restores the default qdisc.
blackhole() { # ns dev
  tc -n "$1" qdisc replace dev "$2" root pfifo limit 0
}
heal() { # ns dev
  tc -n "$1" qdisc del dev "$2" root 2>/dev/null || true
}

case $cmd in
stop)
  stop_lab
  echo "link lab in $dir stopped"
  exit 0
  ;;
break-primary)
  lab_env
  blackhole "$NS_SITE" wan0
  blackhole "$NS_ISP" site0
  echo "primary link black-holed (every packet dropped on both ends, link still up)"
  exit 0
  ;;
heal-primary)
  lab_env
  heal "$NS_SITE" wan0
  heal "$NS_ISP" site0
  echo "primary link healed"
  exit 0
  ;;
break-backup)
  lab_env
  blackhole "$NS_SITE" wwan0
  blackhole "$NS_ISP" site1
  echo "backup link black-holed"
  exit 0
  ;;
heal-backup)
  lab_env
  heal "$NS_SITE" wwan0
  heal "$NS_ISP" site1
  echo "backup link healed"
  exit 0
  ;;
route)
  lab_env
  ip -n "$NS_SITE" -4 route show default
  exit 0
  ;;
start) ;;
*) echo "unknown command $cmd; $usage" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "the link lab needs root (network namespaces, veth, TUN devices)" >&2; exit 1; }
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "sshd not found: apt-get install openssh-server" >&2; exit 1; }
for tool in ip:iproute2 tc:iproute2 socat:socat python3:python3 nft:nftables ping:iputils-ping curl:curl; do
  command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: apt-get install ${tool#*:}" >&2; exit 1; }
done
[ -c /dev/net/tun ] || { echo "/dev/net/tun missing: the backup link needs TUN devices" >&2; exit 1; }
[ -e "$dir/pids" ] || [ -e "$dir/lab.env" ] && { echo "$dir holds a lab (pids or lab.env): stop it first" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
addr=${ADDR:-127.79.$((0x${id:0:2})).$((0x${id:2:2} % 254 + 1))}
case $addr in
127.*) ;;
*) echo "ADDR=$addr: the SSH forwarder listens on loopback only (127.0.0.0/8)" >&2; exit 1 ;;
esac
if (exec 3<>"/dev/tcp/$addr/2222") 2>/dev/null; then
  echo "$addr:2222 is in use (another lab?): choose another loopback address with ADDR=127.x.y.z" >&2
  exit 1
fi
delay=${DELAY_MS:-40}
cat > "$dir/lab.env" <<EOF
# Written by examples/link-failover/lab.sh start: what stop deletes, by name.
ID=$id
NS_SITE=lf-$id-site
NS_LAN=lf-$id-lan
NS_ISP=lf-$id-isp
NS_SVC=lf-$id-svc
ADDR=$addr
SERVICE=203.0.113.10
EOF
: > "$dir/pids"
# A failed start leaves nothing behind.
start_failed() {
  local rc=$?
  [ "$rc" = 0 ] || { echo "lab start failed: cleaning up" >&2; stop_lab; }
}
trap start_failed EXIT
# shellcheck source=/dev/null
source "$dir/lab.env"

for ns in "$NS_SITE" "$NS_LAN" "$NS_ISP" "$NS_SVC"; do
  ip netns add "$ns"
done
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
record() { echo "$1 $2" >> "$dir/pids"; }

# Site LAN: the client's namespace and the router's LAN port.
ip link add lan0 netns "$NS_SITE" type veth peer name eth0 netns "$NS_LAN"
ip -n "$NS_SITE" addr add 192.0.2.1/24 dev lan0
ip -n "$NS_LAN" addr add 192.0.2.10/24 dev eth0
# Primary (wired) link: a veth pair.
ip link add wan0 netns "$NS_SITE" type veth peer name site0 netns "$NS_ISP"
ip -n "$NS_SITE" addr add 198.51.100.1/30 dev wan0
ip -n "$NS_ISP" addr add 198.51.100.2/30 dev site0
# Service network.
ip link add svc0 netns "$NS_ISP" type veth peer name eth0 netns "$NS_SVC"
ip -n "$NS_ISP" addr add 203.0.113.1/24 dev svc0
ip -n "$NS_SVC" addr add 203.0.113.10/24 dev eth0

# Backup (4G) link: two TUN devices joined by the delay relay (it creates them).
python3 "$here/netlab.py" relay "$delay" "$NS_SITE" wwan0 "$NS_ISP" site1 </dev/null >>"$dir/relay.log" 2>&1 &
record relay $!
for _ in $(seq 1 100); do
  ip -n "$NS_ISP" link show site1 >/dev/null 2>&1 && break
  sleep 0.05
done
ip -n "$NS_ISP" link show site1 >/dev/null 2>&1 || { echo "the delay relay did not create its TUN devices: $(cat "$dir/relay.log")" >&2; exit 1; }
ip -n "$NS_SITE" addr add 198.51.100.129 peer 198.51.100.130 dev wwan0
ip -n "$NS_ISP" addr add 198.51.100.130 peer 198.51.100.129 dev site1

ip -n "$NS_SITE" link set lan0 up
ip -n "$NS_SITE" link set wan0 up
ip -n "$NS_SITE" link set wwan0 up
ip -n "$NS_LAN" link set eth0 up
ip -n "$NS_ISP" link set site0 up
ip -n "$NS_ISP" link set site1 up
ip -n "$NS_ISP" link set svc0 up
ip -n "$NS_SVC" link set eth0 up

ip -n "$NS_LAN" route add default via 192.0.2.1
ip -n "$NS_SVC" route add default via 203.0.113.1
nsx "$NS_ISP" sysctl -qw net.ipv4.ip_forward=1
nsx "$NS_SITE" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_SITE" route add default via 198.51.100.2 dev wan0
# The branch router hides the site LAN behind the address of whichever uplink a packet
# leaves by (the ISPs route only their own link addresses back).
nsx "$NS_SITE" nft -f - <<'EOF'
table ip branch {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname { "wan0", "wwan0" } masquerade
  }
}
EOF

# The service.
ip netns exec "$NS_SVC" python3 "$here/netlab.py" serve 203.0.113.10 80 </dev/null >>"$dir/service.log" 2>&1 &
record service $!

# The router's sshd, as root inside the site namespace, on its LAN address.
mkdir -p /run/sshd
rm -f "$dir/client_key" "$dir/client_key.pub" "$dir/hostkey_router" "$dir/hostkey_router.pub"
ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey_router"
cp "$dir/client_key.pub" "$dir/authorized_keys"
chmod 644 "$dir/authorized_keys"
cat > "$dir/sshd_router.conf" <<EOF
ListenAddress 192.0.2.1:22
HostKey $dir/hostkey_router
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
MaxSessions 100
MaxStartups 200
UseDNS no
LogLevel ERROR
Subsystem sftp internal-sftp
# SHLVL=1: bash skips root's ~/.bashrc (slow on these machines) for drctl's commands.
SetEnv SHLVL=1
EOF
ip netns exec "$NS_SITE" "$sshd" -D -e -f "$dir/sshd_router.conf" </dev/null >>"$dir/sshd.log" 2>&1 &
record sshd-router $!
echo "[$addr]:2222 $(cut -d' ' -f1,2 "$dir/hostkey_router.pub")" > "$dir/known_hosts"

# drctl's way in: loopback ADDR:2222 in the root namespace -> the site LAN -> 192.0.2.1:22.
socat "TCP-LISTEN:2222,bind=$addr,reuseaddr,fork" \
  "EXEC:\"ip netns exec $NS_LAN socat STDIO TCP:192.0.2.1:22\"" </dev/null >>"$dir/forwarder.log" 2>&1 &
record forwarder $!

cat > "$dir/inventory.yaml" <<EOF
# Written by examples/link-failover/lab.sh (lab $id)
defaults:
  user: root
  identity: $dir/client_key
  known_hosts: $dir/known_hosts
  connect_timeout: 3s
hosts:
  router1: { addr: $addr, port: 2222 }
groups:
  branch-router: [router1]
EOF

# Ready: the router answers SSH through the forwarder, the client reaches the service.
ok=
for _ in $(seq 1 100); do
  if [ "$(timeout 2 socat -T1 - "TCP:$addr:2222" </dev/null 2>/dev/null | head -c 4)" = SSH- ]; then ok=1; break; fi
  sleep 0.05
done
[ -n "$ok" ] || { echo "the router's sshd does not answer on $addr:2222: $(cat "$dir/sshd.log" "$dir/forwarder.log")" >&2; exit 1; }
# Every process of the lab is still running (the forwarder, say, did not lose a race for its port).
while read -r name pid; do
  kill -0 "$pid" 2>/dev/null || { echo "the lab's $name (pid $pid) exited: $(cat "$dir"/*.log)" >&2; exit 1; }
done < "$dir/pids"
ok=
for _ in $(seq 1 100); do
  if nsx "$NS_LAN" curl -sS --max-time 1 -o /dev/null http://203.0.113.10/ 2>/dev/null; then ok=1; break; fi
  sleep 0.05
done
[ -n "$ok" ] || { echo "the client cannot reach the service 203.0.113.10:80: $(cat "$dir/service.log")" >&2; exit 1; }
echo "link lab $id up in $dir: router1 ssh root@$addr:2222, route: $(ip -n "$NS_SITE" -4 route show default); inventory $dir/inventory.yaml"

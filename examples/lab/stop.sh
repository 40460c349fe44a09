#!/usr/bin/env bash
# Stop a lab started by start.sh: exactly the sshd pids it recorded.
set -euo pipefail
dir=${1:?usage: stop.sh DIR}
[ -f "$dir/pids" ] || { echo "no lab in $dir"; exit 0; }
while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$dir/pids"
rm -f "$dir/pids"
echo "lab in $dir stopped"

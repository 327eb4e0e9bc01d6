#!/usr/bin/env bash
# Stops the slurmd, slurmctld and munged that scripts/slurm-up.sh started (by their recorded PIDs).
set -euo pipefail

PIDS=/tmp/rnx-slurm/pids
[ -f "$PIDS" ] || exit 0
# Reverse start order: slurmd, slurmctld, munged.
tac "$PIDS" | while read -r name pid; do
  [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ] || continue   # gone, or pid reused
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "slurm-down: stopped $name ($pid)"
done
rm -f "$PIDS"

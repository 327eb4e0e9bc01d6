#!/usr/bin/env bash
# Starts a single-node SLURM cluster (munged, slurmctld, slurmd) on this Debian machine for CI; idempotent.
set -euo pipefail

RUN=/tmp/rnx-slurm            # pids, logs, state and spool of the daemons this script starts
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)
mkdir -p "$RUN/log" "$RUN/state" "$RUN/spool"
touch "$RUN/pids"

# 1. Packages.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  pkgs=(slurmctld slurmd slurm-client munge)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${pkgs[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${pkgs[@]}"; }
fi

# 2. Munge key and directories.
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
chmod 0700 /etc/munge /var/log/munge /var/lib/munge; chmod 0755 /run/munge; chmod 0400 /etc/munge/munge.key

# 3. slurm.conf for one node with what slurmd -C reports (RealMemory reduced by ~5%).
node=$(slurmd -C | head -n1)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
node=$(sed "s/RealMemory=[0-9]*/RealMemory=$((mem * 95 / 100))/" <<<"$node")
mkdir -p "$(dirname "$CONF")"
cat >"$CONF.new" <<CONF
# Written by rnx scripts/slurm-up.sh
ClusterName=rnx
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$RUN/state
SlurmdSpoolDir=$RUN/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$RUN/log/slurmctld.log
SlurmdLogFile=$RUN/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
MessageTimeout=10
KillWait=5
SchedulerParameters=batch_sched_delay=0
MinJobAge=300
MailProg=/bin/true
$node State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
reconf=0; pgrep -x slurmctld >/dev/null && ! cmp -s "$CONF.new" "$CONF" && reconf=1
mv "$CONF.new" "$CONF"

# 4. Daemons, in order; ones already running are left alone (and not recorded).
start() { # name pidfile command...
  local name=$1 pidfile=$2; shift 2
  pgrep -x "$name" >/dev/null && return 0
  sed -i "/^$name /d" "$RUN/pids"; rm -f "$pidfile"; "$@"
  for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  [ -s "$pidfile" ] || { echo "slurm-up: $name did not start" >&2; return 1; }
  echo "$name $(cat "$pidfile")" >>"$RUN/pids"
}
logs() {
  for f in /var/log/munge/munged.log "$RUN/log/slurmctld.log" "$RUN/log/slurmd.log"; do
    echo "== $f"; tail -n 25 "$f" 2>/dev/null || true
  done >&2
  exit 1
}
start munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged || logs
start slurmctld "$RUN/slurmctld.pid" slurmctld || logs
start slurmd "$RUN/slurmd.pid" slurmd || logs
[ "$reconf" = 0 ] || scontrol reconfigure   # daemons that were already running re-read a changed slurm.conf

# 5. Wait (up to 60 s) for the node to be idle; resume it if it came up down/drained.
alive() { # every daemon this script started is still running
  while read -r name pid; do
    [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ] || { echo "slurm-up: $name ($pid) exited" >&2; return 1; }
  done <"$RUN/pids"
}
state=; deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  alive || logs
  state=$(timeout 5 sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
  case $state in
    idle|mixed|allocated|completing) break ;;
    down|drain*|drained) scontrol update nodename="$HOST" state=resume || true ;;
  esac
  sleep 1
done
case $state in idle|mixed|allocated|completing) ;; *) echo "slurm-up: node $HOST is '$state'" >&2; logs ;; esac
echo "slurm-up: node $HOST $state, partition debug ($(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node") CPUs), pids: $(cut -d' ' -f2 "$RUN/pids" | xargs)"

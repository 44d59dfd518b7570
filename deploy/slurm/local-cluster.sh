#!/usr/bin/env bash
# Real one-node SLURM clusters on this machine, for tests and demos of SLURM pilot jobs:
#   bash deploy/slurm/local-cluster.sh start|stop|stop-controller|start-controller|status|env [CLUSTER]
# CLUSTER 1 (default): ClusterName streams, all CPUs, ports 6817/6818, under $STREAMS_SLURM_DIR (default
# /tmp/streams-slurm). CLUSTER 2: an independent second site, ClusterName streams2, ONE CPU (so its pilots really
# queue), ports 6827/6828, node streams2-node, under /tmp/streams-slurm2. Both can run at once (two facilities).
# start installs slurm-wlm and munge when missing (Debian; needs root), starts munged, writes a private slurm.conf
# and starts slurmctld and slurmd. Use a cluster with
#   eval "$(bash deploy/slurm/local-cluster.sh env [CLUSTER])"; sbatch ...; squeue; scancel ...
# stop-controller stops only slurmctld (a facility whose scheduler stops answering; slurmd and its jobs go on);
# start-controller brings it back with its saved state.
# Idempotent: start on a running cluster only checks it.
set -euo pipefail
cluster=${2:-1}
host=$(hostname -s)
case "$cluster" in
  1) dir=${STREAMS_SLURM_DIR:-/tmp/streams-slurm}; name=streams; node=$host; cpus=$(nproc); ctld_port=6817; slurmd_port=6818 ;;
  2) dir=${STREAMS_SLURM2_DIR:-/tmp/streams-slurm2}; name=streams2; node=streams2-node; cpus=1; ctld_port=6827; slurmd_port=6828 ;;
  *) echo "usage: $0 start|stop|stop-controller|start-controller|status|env [1|2]" >&2; exit 2 ;;
esac
conf="$dir/slurm.conf"

need_root() { [ "$(id -u)" -eq 0 ] || { echo "error: $1 needs root" >&2; exit 1; }; }

install() {
  command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && return
  need_root "installing slurm-wlm and munge"
  echo "installing slurm-wlm and munge (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  need_root "starting munged"
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
  echo "error: munged did not start" >&2; exit 1
}

write_conf() {
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  local mem
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat > "$conf" <<CONF
ClusterName=$name
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
MinJobAge=300
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
}

running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

case "${1:-status}" in
  start)
    install
    start_munge
    if running slurmctld && running slurmd; then echo "SLURM already running (SLURM_CONF=$conf)"; exit 0; fi
    need_root "starting slurmctld and slurmd"
    write_conf
    export SLURM_CONF=$conf
    running slurmctld || slurmctld -c
    running slurmd || slurmd -c -N "$node"
    for _ in $(seq 1 100); do
      if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
        echo "SLURM running: cluster $name, node $node, partition debug, $cpus CPUs (SLURM_CONF=$conf)"
        exit 0
      fi
      sleep 0.2
    done
    echo "error: the node did not become idle; see $dir/log" >&2
    sinfo >&2 || true
    exit 1
    ;;
  stop)
    for d in slurmd slurmctld; do
      if running "$d"; then kill "$(cat "$dir/$d.pid")"; fi
    done
    for _ in $(seq 1 50); do running slurmd || running slurmctld || break; sleep 0.1; done
    echo "SLURM stopped"
    ;;
  stop-controller)
    # A facility whose scheduler stops answering (the site-failure demo): slurmctld goes, slurmd and the jobs it runs
    # stay; sbatch/squeue/scancel fail until start-controller brings it back with its saved state.
    if running slurmctld; then kill "$(cat "$dir/slurmctld.pid")"; fi
    for _ in $(seq 1 50); do running slurmctld || break; sleep 0.1; done
    echo "slurmctld of cluster $name stopped (slurmd and its jobs go on)"
    ;;
  start-controller)
    need_root "starting slurmctld"
    running slurmctld || SLURM_CONF=$conf slurmctld
    for _ in $(seq 1 100); do SLURM_CONF=$conf sinfo -h >/dev/null 2>&1 && { echo "slurmctld of cluster $name running again"; exit 0; }; sleep 0.2; done
    echo "error: slurmctld did not answer; see $dir/log" >&2; exit 1
    ;;
  status)
    if running slurmctld && running slurmd; then
      SLURM_CONF=$conf sinfo
      SLURM_CONF=$conf squeue
    else
      echo "SLURM not running (start it with: bash $0 start)"; exit 3
    fi
    ;;
  env)
    echo "export SLURM_CONF=$conf"
    ;;
  *)
    echo "usage: $0 start|stop|stop-controller|start-controller|status|env [1|2]" >&2; exit 2
    ;;
esac

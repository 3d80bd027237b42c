#!/usr/bin/env bash
# stop-slurm.sh - stop the daemons started by start-slurm.sh, using ONLY their pid files under
# $SLMMUX_SLURM_BASE (default /tmp/slmmux-slurm). A pid is signalled only if /proc/<pid>/comm is the
# expected daemon name (guards against pid reuse); no pkill/killall/name matching. Jobs still in the
# queue are cancelled through SLURM (scancel by job id) first. Removes the /etc/slurm/slurm.conf
# symlink if it is ours. State (spool, database) is kept; SLMMUX_SLURM_RESET=1 on the next start
# wipes it. Idempotent: stopping a stopped cluster is a no-op.
set -uo pipefail

B=${SLMMUX_SLURM_BASE:-/tmp/slmmux-slurm}
export SLURM_CONF=$B/etc/slurm.conf
export PATH=$PATH:/usr/sbin:/sbin
T0=$(date +%s%N)
log() { printf '[stop-slurm  +%6.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }

pid_of() {  # pid_of PIDFILE COMM -> prints the pid if alive and its comm matches
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$2" ] || return 1
  echo "$pid"
}

stop_one() {  # stop_one PIDFILE COMM [TIMEOUT_S]
  local pf=$1 comm=$2 t=${3:-20} pid i
  if ! pid=$(pid_of "$pf" "$comm"); then
    log "$comm: not running"; rm -f "$pf"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < t * 10; i++)); do
    [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$comm" ] || { log "$comm (pid $pid) stopped"; rm -f "$pf"; return 0; }
    sleep 0.1
  done
  log "$comm (pid $pid) ignored SIGTERM for ${t}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null; sleep 0.5; rm -f "$pf"
}

# cancel this cluster's jobs (by id) while slurmctld is still up
if pid_of "$B/run/slurmctld.pid" slurmctld >/dev/null; then
  jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null
    for ((i = 0; i < 100; i++)); do [ -z "$(squeue -h -t R,PD,CG -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi

stop_one "$B/run/slurmd.pid"      slurmd
stop_one "$B/run/slurmctld.pid"   slurmctld
stop_one "$B/run/slurmdbd.pid"    slurmdbd
stop_one "$B/mysql/mysqld.pid"    mariadbd 60
stop_one "$B/munge/munged.pid"    munged

if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$B/etc/slurm.conf" ]; then
  rm -f /etc/slurm/slurm.conf; log "removed symlink /etc/slurm/slurm.conf"
fi
log "done"

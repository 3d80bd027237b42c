#!/usr/bin/env bash
# start-slurm.sh - idempotent single-node SLURM cluster on loopback only, for testing the
# workflow through snakemake-executor-plugin-slurm (tests/test_slurm.py, CI).
# Daemons: munged, MariaDB (127.0.0.1 only), slurmdbd, slurmctld, slurmd. Debian 12, run as root,
# no systemd needed. Accounting goes through slurmdbd so that `sacct` (the plugin's default status
# command) and account validation (sacctmgr) behave as on a production cluster.
#
# State lives under $SLMMUX_SLURM_BASE (default /tmp/slmmux-slurm) except:
#   * the Debian packages (installed with apt-get when missing), and
#   * /etc/slurm/slurm.conf, a symlink to $SLMMUX_SLURM_BASE/etc/slurm.conf: the jobstep plugin
#     removes SLURM_CONF from the environment of the `srun` it runs inside each job; that srun then
#     reads the compiled-in /etc/slurm/slurm.conf and, failing that, tries a DNS SRV lookup (which
#     would leave loopback). stop-slurm.sh removes the symlink again.
#
# Re-running is safe: a daemon whose pid file names a live process of the right name is left alone;
# database, accounts and keys are created once. Writes $SLMMUX_SLURM_BASE/env (source it).
# Env knobs: SLMMUX_SLURM_BASE, SLMMUX_SLURM_RESET=1 (wipe state; daemons must be stopped),
#            SLMMUX_SLURM_ACCOUNT (default slmmux), SLMMUX_SLURM_PARTITION (default debug),
#            SLMMUX_SLURM_PORTS="ctld slurmd dbd mariadb" (default "6817 6818 6819 3307").
set -euo pipefail

B=${SLMMUX_SLURM_BASE:-/tmp/slmmux-slurm}
CLUSTER=slmmux
PARTITION=${SLMMUX_SLURM_PARTITION:-debug}
ACCOUNT=${SLMMUX_SLURM_ACCOUNT:-slmmux}
read -r CTLDPORT SLURMDPORT DBDPORT DBPORT <<<"${SLMMUX_SLURM_PORTS:-6817 6818 6819 3307}"
NODE=$(hostname -s)
SLURM_USER_NAME=$(id -un)
export SLURM_CONF=$B/etc/slurm.conf
export PATH=$PATH:/usr/sbin:/sbin

T0=$(date +%s%N)
log() { printf '[start-slurm +%6.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, runs slurmd)"
command -v apt-get >/dev/null || command -v slurmctld >/dev/null || die "neither apt-get nor SLURM available"

# alive PIDFILE COMM: the pid file names a running process whose comm is COMM
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$2" ]
}
# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.1 s
wait_for() {
  local t=$1 what=$2 i; shift 2
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "timed out after ${t}s waiting for $what"
}

mkdir -p "$B"
# ---------------------------------------------------------------- packages
PKGS=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server mariadb-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  # apt-get update only when the package lists do not know one of the packages
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then
      log "apt-get update (package lists lack $p)"
      apt-get update > "$B/apt-update.log" 2>&1 || { tail -20 "$B/apt-update.log"; die "apt-get update failed"; }
      break
    fi
  done
  tmp_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # keep the packages' postinst from starting system daemons
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
    > "$B/apt-install.log" 2>&1 || rc=$?
  if ((tmp_policy)); then rm -f /usr/sbin/policy-rc.d; fi
  ((rc == 0)) || { tail -20 "$B/apt-install.log"; die "apt-get install failed (rc=$rc)"; }
  log "packages installed"
fi

# ---------------------------------------------------------------- layout
if [ "${SLMMUX_SLURM_RESET:-0}" = 1 ]; then
  for d in slurmd slurmctld slurmdbd; do
    if alive "$B/run/$d.pid" "$d"; then die "SLMMUX_SLURM_RESET=1 but $d is running; run stop-slurm.sh first"; fi
  done
  if alive "$B/mysql/mysqld.pid" mariadbd; then die "SLMMUX_SLURM_RESET=1 but mariadbd is running"; fi
  log "resetting state (spool, database, logs)"
  rm -rf "$B/spool" "$B/mysql" "$B/log" "$B/run"
fi
mkdir -p "$B"/{etc,log,run,spool/ctld,spool/d,munge,mysql/data}
chown munge:munge "$B/munge"; chmod 0755 "$B/munge"          # munged wants o+x on its socket dir
chown mysql:mysql "$B/mysql" "$B/mysql/data"; chmod 0750 "$B/mysql"
[ -s "$B/munge/munge.key" ] || runuser -u munge -- mungekey --create --keyfile="$B/munge/munge.key"
[ -s "$B/etc/dbpass" ] || (umask 077; od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$B/etc/dbpass")
DBPASS=$(cat "$B/etc/dbpass")
MUNGE_SOCKET=$B/munge/munge.socket.2

# ---------------------------------------------------------------- configs
# write_if_changed FILE MODE (content on stdin)
write_if_changed() {
  local f=$1 mode=$2 tmp; tmp=$(mktemp "$f.XXXX")
  cat > "$tmp"; chmod "$mode" "$tmp"
  if [ -f "$f" ] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv -f "$tmp" "$f"; log "wrote $f"; fi
}
mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.85}' /proc/meminfo)
# Topology as slurmd detects it; RealMemory lowered to 85 % of MemTotal so the node is not drained.
hw=$(slurmd -C 2>/dev/null | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *UpTime=.*//' \
     -e "s/RealMemory=[0-9]*/RealMemory=$mem_mb/")
[ -n "$hw" ] || hw="CPUs=$(nproc) RealMemory=$mem_mb"

# No GresTypes: the CI node has no GPU. A job asking for --gpus/--gres is rejected at submission,
# which is why tests/test_slurm.py overrides the profile's GPU request for the generate rule.
write_if_changed "$B/etc/slurm.conf" 644 <<CONF
# generated by tests/slurm/start-slurm.sh (base $B)
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmctldPort=$CTLDPORT
SlurmdPort=$SLURMDPORT
StateSaveLocation=$B/spool/ctld
SlurmdSpoolDir=$B/spool/d
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$B/run/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# finished jobs stay visible to squeue/scontrol for 5 minutes (so squeue also works as status command)
MinJobAge=300
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBDPORT
# munge socket for slurmdbd connections (AuthInfo is not used for those)
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF

write_if_changed "$B/etc/slurmdbd.conf" 600 <<CONF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBDPORT
SlurmUser=root
PidFile=$B/run/slurmdbd.pid
LogFile=$B/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=$DBPASS
StorageLoc=slurm_acct_db
CONF

write_if_changed "$B/etc/my.cnf" 644 <<CONF
[mariadbd]
datadir=$B/mysql/data
socket=$B/mysql/mysqld.sock
pid-file=$B/mysql/mysqld.pid
log-error=$B/log/mariadbd.err
port=$DBPORT
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
max_allowed_packet=16M
CONF

write_if_changed "$B/env" 644 <<CONF
export SLURM_CONF=$B/etc/slurm.conf
export SLURM_ACCOUNT=$ACCOUNT
export SLURM_PARTITION=$PARTITION
CONF

# /etc/slurm/slurm.conf must exist for the srun inside jobs (see header)
mkdir -p /etc/slurm
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$B/etc/slurm.conf" ]; then :
elif [ -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
  die "/etc/slurm/slurm.conf exists and is not our symlink; refusing to overwrite it"
else ln -s "$B/etc/slurm.conf" /etc/slurm/slurm.conf; log "linked /etc/slurm/slurm.conf -> $B/etc/slurm.conf"; fi

# ---------------------------------------------------------------- munged
if alive "$B/munge/munged.pid" munged; then log "munged already running"
else
  rm -f "$B/munge/munged.pid"
  runuser -u munge -- munged --socket="$MUNGE_SOCKET" --key-file="$B/munge/munge.key" \
    --log-file="$B/munge/munged.log" --pid-file="$B/munge/munged.pid" \
    --seed-file="$B/munge/munged.seed" --origin=127.0.0.1 --num-threads=4
  log "munged started (pid $(cat "$B/munge/munged.pid"))"
fi
wait_for 10 munge bash -c "munge -S '$MUNGE_SOCKET' -n | unmunge -S '$MUNGE_SOCKET'"

# ---------------------------------------------------------------- MariaDB
DBCLI=(mariadb --defaults-file="$B/etc/my.cnf" -S "$B/mysql/mysqld.sock" -u root)
if [ ! -d "$B/mysql/data/mysql" ]; then
  log "initialising MariaDB data dir"
  mariadb-install-db --defaults-file="$B/etc/my.cnf" --user=mysql \
    --auth-root-authentication-method=socket --skip-test-db > "$B/log/mariadb-install.log" 2>&1 \
    || { tail "$B/log/mariadb-install.log"; die "mariadb-install-db failed"; }
fi
if alive "$B/mysql/mysqld.pid" mariadbd; then log "mariadbd already running"
else
  rm -f "$B/mysql/mysqld.pid"
  setsid mariadbd --defaults-file="$B/etc/my.cnf" --user=mysql </dev/null >>"$B/log/mariadbd.out" 2>&1 &
  wait_for 60 mariadbd "${DBCLI[@]}" -e 'SELECT 1'
  log "mariadbd started (pid $(cat "$B/mysql/mysqld.pid"))"
fi
"${DBCLI[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL

# ---------------------------------------------------------------- slurmdbd + accounts
if alive "$B/run/slurmdbd.pid" slurmdbd; then log "slurmdbd already running"
else rm -f "$B/run/slurmdbd.pid"; slurmdbd; log "slurmdbd started (reads slurmdbd.conf beside $SLURM_CONF)"; fi
wait_for 60 slurmdbd sacctmgr -n list cluster
sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER" || sacctmgr -i add cluster "$CLUSTER" >/dev/null
sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT" || \
  sacctmgr -i add account "$ACCOUNT" Description=slmmux-ci Organization=slmmux >/dev/null
sacctmgr -n -P list assoc user="$SLURM_USER_NAME" account="$ACCOUNT" format=user | grep -qx "$SLURM_USER_NAME" || \
  sacctmgr -i add user "$SLURM_USER_NAME" Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null
log "accounting ready (cluster=$CLUSTER account=$ACCOUNT user=$SLURM_USER_NAME)"

# ---------------------------------------------------------------- slurmctld / slurmd
if alive "$B/run/slurmctld.pid" slurmctld; then log "slurmctld already running"
else rm -f "$B/run/slurmctld.pid"; slurmctld; log "slurmctld started"; fi
wait_for 30 slurmctld scontrol ping
if alive "$B/run/slurmd.pid" slurmd; then log "slurmd already running"
else rm -f "$B/run/slurmd.pid"; slurmd -N "$NODE"; log "slurmd started"; fi

node_ok() { sinfo -h -n "$NODE" -o %t | grep -Eq '^(idle|mix|alloc)$'; }
for ((i = 0; i < 300; i++)); do
  node_ok && break
  st=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  case "$st" in down*|drain*|drng*) scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;; esac
  sleep 0.1
done
node_ok || die "node $NODE not idle: $(sinfo -N -l 2>&1)"
# end-to-end check: a real job step through slurmctld -> slurmd -> slurmstepd
timeout 60 srun -A "$ACCOUNT" -N1 -n1 -t 1 --quiet true || die "test job 'srun true' failed (see $B/log)"
log "SLURM up: $(sinfo -h -o '%P %a %D %t %N, %c CPUs, %m MB')"
log "done. Use: source $B/env   (sets SLURM_CONF=$SLURM_CONF, SLURM_ACCOUNT, SLURM_PARTITION)"

#!/usr/bin/env bash
# A throwaway localhost Slurm cluster (one controller, two fake nodes, private munged) for tests.
#   tools/slurm/local-cluster.sh start|stop|status [DIR]
#   eval "$(tools/slurm/local-cluster.sh start)"   # exports SLURM_CONF
# State lives under DIR (default $TMPDIR/sinkscope-slurm). stdout carries only the export line;
# every diagnostic goes to stderr. Never touches /etc/slurm or the system munged.
set -euo pipefail

NODES=(node1 node2)
START_TIMEOUT_S=${SLURM_LOCAL_START_TIMEOUT:-20}

say() { echo "local-cluster: $*" >&2; }
die() { echo "local-cluster: $1" >&2; exit "${2:-1}"; }

usage() { die "usage: $0 start|stop|status [DIR]" 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
CMD=$1
[[ $CMD == start || $CMD == stop || $CMD == status ]] || usage
DIR=${2:-${TMPDIR:-/tmp}/sinkscope-slurm}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
CONF=$DIR/slurm.conf
RUN=$DIR/run
export SLURM_CONF=$CONF

# ---- prerequisites -----------------------------------------------------------------------------
ensure_installed() {
  if command -v slurmctld >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "slurm-wlm/munge are not installed and we are not root to apt-get them" 3
  command -v apt-get >/dev/null || die "slurm-wlm/munge are not installed and there is no apt-get" 3
  say "installing slurm-wlm and munge with apt-get"
  local log=$DIR/apt.log
  # bare CI images may have no package lists yet: retry once after an update
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >"$log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >>"$log" 2>&1 ||
      die "apt-get install slurm-wlm munge failed (see $log)" 3
  fi
  command -v slurmctld >/dev/null || die "slurmctld still missing after apt-get install slurm-wlm (see $log)" 3
}

# ---- process bookkeeping -----------------------------------------------------------------------
ours() { # pid -> 0 when that process's command line or environment names DIR (guards against pid reuse)
  tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$DIR" ||
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qF "SLURM_CONF=$CONF"
}

pid_alive() { # name -> 0 when its recorded pid is a live process of this cluster
  local f=$RUN/$1.pid pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && ours "$pid"
}

launch() { # name cmd...: run a foreground daemon detached, output to its log, pid to run/name.pid
  local name=$1; shift
  # setsid: leave the caller's process group (test runners kill theirs); closed fds: `$(start)` must not hang
  setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

stop_procs() { # names...: TERM all at once (each takes 1-3 s to exit), wait up to 10 s, then KILL
  local name pid i pids=()
  for name in "$@"; do
    pid_alive "$name" && { pid=$(<"$RUN/$name.pid"); kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); }
  done
  for ((i = 0; i < 100 && ${#pids[@]} > 0; i++)); do
    local left=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    pids=("${left[@]}")
    ((${#pids[@]} > 0)) && sleep 0.1
  done
  for pid in "${pids[@]}"; do say "pid $pid ignored SIGTERM, killing"; kill -KILL "$pid" 2>/dev/null || true; done
  for name in "$@"; do rm -f "$RUN/$name.pid"; done
}

all_alive() {
  pid_alive munged && pid_alive slurmctld || return 1
  local n; for n in "${NODES[@]}"; do pid_alive "slurmd-$n" || return 1; done
}

controller_up() { [[ -f $CONF ]] && timeout 5 squeue -h >/dev/null 2>&1; }

nodes_idle() { # every fake node reports idle (or mixed/alloc: it is up and taking jobs)
  local states
  states=$(timeout 5 sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
  local n; for n in "${NODES[@]}"; do
    grep -Eq "^$n (idle|mix|alloc)\$" <<<"$states" || return 1
  done
}

# ---- ports -------------------------------------------------------------------------------------
port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

pick_ports() { # sets CTLD_PORT and NODE_PORTS: ${#NODES[@]}+1 consecutive free TCP ports
  local want=$((${#NODES[@]} + 1)) base p ok try
  for ((try = 0; try < 50; try++)); do
    base=$((20000 + RANDOM % 30000))
    ok=1
    for ((p = base; p < base + want; p++)); do port_free "$p" || { ok=0; break; }; done
    if ((ok)); then
      CTLD_PORT=$base
      NODE_PORTS=()
      for ((p = base + 1; p < base + want; p++)); do NODE_PORTS+=("$p"); done
      return 0
    fi
  done
  die "no free TCP ports found for slurmctld/slurmd"
}

# ---- config ------------------------------------------------------------------------------------
write_config() {
  local cpus mem user i n
  cpus=$(nproc 2>/dev/null || echo 2)
  ((cpus >= 2)) || cpus=2
  mem=4096
  user=$(id -un)
  mkdir -p "$DIR/dev"
  for n in "${NODES[@]}"; do ln -sfn /dev/null "$DIR/dev/$n-gpu0"; done
  : >"$DIR/plugstack.conf" # keep the system's /etc/slurm/plugstack.conf out of our cluster

  {
    echo "# generated by tools/slurm/local-cluster.sh; regenerated on every fresh start"
    echo "ClusterName=sinkscope"
    echo "SlurmctldHost=localhost"
    echo "SlurmUser=$user"
    echo "SlurmdUser=$user"
    echo "AuthType=auth/munge"
    echo "AuthInfo=socket=$DIR/munge.socket"
    echo "CredType=cred/munge"
    echo "SlurmctldPort=$CTLD_PORT"
    echo "SlurmdPort=${NODE_PORTS[0]}"
    echo "StateSaveLocation=$DIR/state"
    echo "SlurmdSpoolDir=$DIR/spool/%n"
    echo "SlurmctldPidFile=$RUN/slurmctld.daemon.pid"
    echo "SlurmdPidFile=$RUN/slurmd-%n.daemon.pid"
    echo "SlurmctldLogFile=$DIR/log/slurmctld.log"
    echo "SlurmdLogFile=$DIR/log/slurmd-%n.log"
    echo "PlugStackConfig=$DIR/plugstack.conf"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "SwitchType=switch/none"
    echo "MpiDefault=none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    # no slurmdbd here, so sacct is useless: finished jobs land in a text file instead
    echo "JobCompType=jobcomp/filetxt"
    echo "JobCompLoc=$DIR/jobcomp.txt"
    echo "MinJobAge=300"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core_Memory"
    # without it a job with no --mem takes a whole node and jobs run one at a time
    echo "DefMemPerCPU=512"
    # the default scheduler batching adds ~3 s to every job
    echo "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0"
    echo "ReturnToService=2"
    # fake nodes may claim more CPUs than the machine has
    echo "SlurmdParameters=config_overrides"
    echo "KillWait=2"
    echo "InactiveLimit=0"
    echo "Waittime=0"
    echo "MailProg=/bin/true"
    echo "SlurmctldDebug=info"
    echo "SlurmdDebug=info"
    echo "GresTypes=gpu"
    for i in "${!NODES[@]}"; do
      echo "NodeName=${NODES[$i]} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${NODE_PORTS[$i]} CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=$(IFS=,; echo "${NODES[*]}") Default=YES MaxTime=INFINITE State=UP"
  } >"$CONF"

  # slurmd reads gres.conf from slurm.conf's directory. A gpu GRES needs a device file per unit or the
  # node goes INVAL; links to /dev/null stand in
  for n in "${NODES[@]}"; do echo "NodeName=$n Name=gpu File=$DIR/dev/$n-gpu0"; done >"$DIR/gres.conf"
}

# ---- commands ----------------------------------------------------------------------------------
print_env() {
  local line="export SLURM_CONF=$CONF"
  echo "$line" >"$DIR/env.sh"
  echo "$line"
}

do_stop() {
  if pid_alive slurmctld && [[ -f $CONF ]]; then
    local ids i
    ids=$(timeout 5 squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ') || true
    if [[ -n ${ids// /} ]]; then
      # shellcheck disable=SC2086
      timeout 5 scancel $ids 2>/dev/null || true
      for ((i = 0; i < 150; i++)); do # bounded: 15 s
        [[ -z $(timeout 5 squeue -h -o '%A' 2>/dev/null) ]] && break
        sleep 0.1
      done
    fi
  fi
  local n daemons=(slurmctld)
  for n in "${NODES[@]}"; do daemons+=("slurmd-$n"); done
  stop_procs "${daemons[@]}"
  stop_procs munged # last: the others authenticate their goodbyes through it
  # slurmstepd of a job that outlived its slurmd would keep the spool busy
  kill_orphan_steps
  say "stopped (state in $DIR)"
}

kill_orphan_steps() { # only the slurmstepds of this cluster: they inherited SLURM_CONF=DIR/slurm.conf from our slurmd
  local pid
  for pid in $(pgrep -x slurmstepd 2>/dev/null || true); do
    ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
}

do_start() {
  if all_alive && controller_up; then
    say "already running in $DIR"
    print_env
    return 0
  fi
  ensure_installed
  # anything half-up from an earlier run goes: a fresh cluster is cheaper than repairing one
  do_stop 2>/dev/null || true

  local t0 i
  t0=$(date +%s.%N)
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/log" "$RUN" "$DIR/jobcomp.txt" "$DIR/munge.socket"*
  mkdir -p "$DIR/state" "$DIR/log" "$RUN"
  for n in "${NODES[@]}"; do mkdir -p "$DIR/spool/$n"; done
  chmod 700 "$DIR" # munged refuses a key or socket directory others can write
  pick_ports
  write_config

  if [[ ! -s $DIR/munge.key ]]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile "$DIR/munge.key" >/dev/null 2>&1 || die "mungekey --create --keyfile $DIR/munge.key failed"
    else # munge < 0.5.14 has no mungekey; any 1 KiB of random bytes is a valid key
      (umask 077 && head -c 1024 /dev/urandom >"$DIR/munge.key")
    fi
  fi
  chmod 600 "$DIR/munge.key"
  launch munged munged --foreground --force --key-file "$DIR/munge.key" --socket "$DIR/munge.socket" \
    --pid-file "$RUN/munged.daemon.pid" --seed-file "$DIR/munged.seed" --log-file "$DIR/log/munged.log"
  for ((i = 0; i < 50; i++)); do [[ -S $DIR/munge.socket ]] && break; sleep 0.1; done
  [[ -S $DIR/munge.socket ]] || { tail -5 "$DIR/log/munged.out" "$DIR/log/munged.log" >&2 2>/dev/null; die "munged did not start (logs in $DIR/log)"; }

  launch slurmctld slurmctld -D -c -i -f "$CONF"
  for n in "${NODES[@]}"; do launch "slurmd-$n" slurmd -D -N "$n" -f "$CONF"; done

  local deadline
  deadline=$(($(date +%s) + START_TIMEOUT_S))
  until nodes_idle; do
    if ! all_alive; then
      tail -n 5 "$DIR"/log/*.out "$DIR"/log/slurmctld.log >&2 2>/dev/null || true
      do_stop 2>/dev/null || true
      die "a Slurm daemon exited during start (logs in $DIR/log)"
    fi
    if (($(date +%s) >= deadline)); then
      timeout 5 sinfo -N >&2 2>/dev/null || true
      tail -n 5 "$DIR"/log/*.log >&2 2>/dev/null || true
      do_stop 2>/dev/null || true
      die "nodes not idle after ${START_TIMEOUT_S}s (logs in $DIR/log)"
    fi
    sleep 0.2
  done
  say "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s: ${NODES[*]} idle, controller port $CTLD_PORT"
  print_env
}

do_status() {
  if all_alive && controller_up; then
    timeout 5 sinfo
    return 0
  fi
  say "not running in $DIR"
  return 1
}

case $CMD in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac

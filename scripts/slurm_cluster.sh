#!/usr/bin/env bash
# A throwaway single-node Slurm cluster (munged + slurmctld + slurmd) for tests, without systemd.
#
#   scripts/slurm_cluster.sh start DIR   # writes DIR/slurm.conf, starts the daemons, waits for the node idle
#   scripts/slurm_cluster.sh stop DIR    # stops them (by their pid files), keeps DIR/log for post-mortems
#   source DIR/env.sh                    # SLURM_CONF for sbatch/squeue/sinfo in this shell
#
# Everything (munge key and socket, state, spool, logs, pid files) lives under DIR, so it neither needs
# nor touches /etc/slurm or a running system Slurm. Needs root (slurmd runs jobs as their submitter) and
# the Debian packages `slurm-wlm` and `munge` (scripts/slurm_test.sh installs them).
# Ports: $SLURMCTLD_PORT (16817) and $SLURMD_PORT (16818) so a real cluster's 6817/6818 stay free.
set -euo pipefail

cmd=${1:?usage: slurm_cluster.sh start|stop DIR}
dir=${2:?usage: slurm_cluster.sh start|stop DIR}
dir=$(realpath -m "$dir")

stop_pidfile() {  # stop_pidfile FILE NAME: TERM the daemon in FILE, KILL it after 10 s
    local f=$1 name=$2 pid
    [[ -s $f ]] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "slurm_cluster: $name ($pid) ignored SIGTERM, killing it" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$f"
}

if [[ $cmd == stop ]]; then
    # Jobs still running belong to this cluster; cancel them first so slurmd exits cleanly.
    if [[ -f $dir/slurm.conf ]] && [[ -s $dir/slurmctld.pid ]]; then
        SLURM_CONF=$dir/slurm.conf timeout 10 scancel --quiet --full --user "$(id -un)" 2>/dev/null || true
    fi
    stop_pidfile "$dir/slurmd.pid" slurmd
    stop_pidfile "$dir/slurmctld.pid" slurmctld
    stop_pidfile "$dir/munge/munged.pid" munged
    exit 0
fi
[[ $cmd == start ]] || { echo "usage: slurm_cluster.sh start|stop DIR" >&2; exit 2; }

[[ $(id -u) == 0 ]] || { echo "slurm_cluster: needs root (slurmd runs the jobs as their owners)" >&2; exit 1; }
for exe in munged slurmctld slurmd sinfo sbatch; do
    command -v "$exe" >/dev/null || PATH=$PATH:/usr/sbin
    command -v "$exe" >/dev/null || { echo "slurm_cluster: $exe not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

host=$(hostname -s)
cpus=${SLURM_CPUS:-$(nproc)}
cpus=$(( cpus > 2 ? 2 : cpus ))  # the test cluster offers at most 2 CPUs, whatever the machine has
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
mem_mb=$(( mem_mb * 9 / 10 ))  # under the real total, or slurmd marks the node invalid
ctld_port=${SLURMCTLD_PORT:-16817}
slurmd_port=${SLURMD_PORT:-16818}

mkdir -p "$dir"
chmod 0755 "$dir"
mkdir -p "$dir"/{state,spool,log}
install -d -m 0700 "$dir/munge"

# munged insists on a private key file and a socket directory nobody else can write to.
if [[ ! -s $dir/munge/munge.key ]]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$dir/munge/munge.key"
fi
socket=$dir/munge/munge.socket
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" --num-threads=2
for _ in $(seq 50); do [[ -S $socket ]] && break; sleep 0.1; done
[[ -S $socket ]] || { echo "slurm_cluster: munged did not start; see $dir/log/munged.log" >&2; exit 1; }

cat >"$dir/slurm.conf" <<CONF
# Single-node test cluster written by scripts/slurm_cluster.sh (no systemd, no cgroups).
ClusterName=cppllm-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# linuxproc/none need neither systemd nor a cgroup hierarchy.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
PlugStackConfig=$dir/plugstack.conf
# Fast turnaround for tests.
SchedulerParameters=sched_interval=2
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
: >"$dir/plugstack.conf"
cat >"$dir/env.sh" <<ENV
export SLURM_CONF=$dir/slurm.conf
export PATH=\$PATH:/usr/sbin
ENV
export SLURM_CONF=$dir/slurm.conf

# -i: ignore saved state from an earlier run of this DIR; both daemonize and write their pid files.
slurmctld -i
slurmd
for _ in $(seq 120); do
    state=$(sinfo --noheader --nodes="$host" --format=%T 2>/dev/null | head -1 || true)
    [[ $state == idle ]] && break
    sleep 0.5
done
if [[ ${state:-} != idle ]]; then
    echo "slurm_cluster: node $host is '${state:-unreachable}', not idle, after 60 s; logs in $dir/log" >&2
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    exit 1
fi
echo "slurm_cluster: $host idle ($cpus CPUs, $mem_mb MB) - source $dir/env.sh"

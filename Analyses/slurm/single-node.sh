#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, and the tiny report workflow run through it by Snakemake.
#
# Installs Debian's slurm-wlm, slurmdbd, munge and mariadb-server (as root); starts munged, MariaDB, slurmdbd,
# slurmctld and slurmd directly (no systemd) with a minimal slurm.conf for this host (its name, its CPUs, its real
# memory) and accounting in slurmdbd, so that sacct works (Snakemake's Slurm executor asks sacct for the jobs' states;
# without slurmdbd sacct answers "Slurm accounting storage is disabled"). Installs Snakemake and its Slurm executor
# plugin into a virtual environment, writes the workflow of Analyses/slurm/tiny-spec.json with
# `binarybert report --workflow snakemake`, runs it with `snakemake --executor slurm`, runs the same spec with the
# built-in runner for comparison, and writes Analyses/slurm/single-node.md: the jobs and their states from sacct, the
# wall time and every output's sha256 beside the built-in runner's. The daemons are shut down at the end, whatever
# happens, and the configuration files it wrote to /etc/slurm are removed.
#
#   bash Analyses/slurm/single-node.sh            # BINARYBERT=path/to/binarybert to use a built binary
#
# Scratch files (work folders, workflow, Slurm's state and logs) go to $SCRATCH (default /tmp/binarybert-slurm).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=$PWD
SCRATCH=${SCRATCH:-/tmp/binarybert-slurm}
export VENV=${VENV:-$PROJECT/.ci/venv}
SPEC=Analyses/slurm/tiny-spec.json
SUMMARY=Analyses/slurm/single-node.md
if [ -z "${BINARYBERT:-}" ]; then
    swift build -c release --product binarybert >&2
    BINARYBERT=$(swift build -c release --show-bin-path)/binarybert
fi
BINARYBERT=$(realpath "$BINARYBERT")

export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
    apt-get update
    apt-get install -y slurm-wlm slurmdbd munge mariadb-server
fi
if [ ! -x "$VENV/bin/snakemake" ]; then /usr/bin/python3 -m venv "$VENV"; "$VENV/bin/pip" install --quiet snakemake==9.27.1; fi
"$VENV/bin/pip" install --quiet snakemake-executor-plugin-slurm==2.8.0

# Slurm's commands inside a job read /etc/slurm/slurm.conf: the cluster's files go there (never over someone else's).
MARK="# written by binarybert's Analyses/slurm/single-node.sh"
for f in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf; do
    if [ -f "$f" ] && ! grep -qF "$MARK" "$f"; then echo "$f exists and is not this script's: not touching it" >&2; exit 1; fi
done
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"/{spool/ctld,spool/d,log,run} /run/munge /run/mysqld /etc/slurm
chown munge:munge /run/munge
chown mysql:mysql /run/mysqld
HOST=$(hostname -s)
CPUS=$(nproc)
# slurmd refuses a node that claims more memory than it has: its own measurement, less a margin for the system.
MEMORY=$(( $(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p') * 9 / 10 ))

stop() {
    for name in slurmd slurmctld slurmdbd; do
        if [ -f "$SCRATCH/run/$name.pid" ]; then kill "$(cat "$SCRATCH/run/$name.pid")" 2>/dev/null || true; fi
    done
    sleep 2
    if [ -f /run/mysqld/mysqld.pid ]; then kill "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null || true; fi
    if [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
    sleep 1
    for f in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf; do
        if [ -f "$f" ] && grep -qF "$MARK" "$f"; then rm -f "$f"; fi
    done
}
trap stop EXIT

cat > /etc/slurm/slurm.conf <<CONF
$MARK
ClusterName=single
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$SCRATCH/spool/ctld
SlurmdSpoolDir=$SCRATCH/spool/d
SlurmctldPidFile=$SCRATCH/run/slurmctld.pid
SlurmdPidFile=$SCRATCH/run/slurmd.pid
SlurmctldLogFile=$SCRATCH/log/slurmctld.log
SlurmdLogFile=$SCRATCH/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
NodeName=$HOST CPUs=$CPUS RealMemory=$MEMORY State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
cat > /etc/slurm/slurmdbd.conf <<CONF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm
StorageLoc=binarybert_slurm_acct
LogFile=$SCRATCH/log/slurmdbd.log
PidFile=$SCRATCH/run/slurmdbd.pid
CONF
chmod 600 /etc/slurm/slurmdbd.conf

# munge with the package's key, MariaDB with a fresh accounting database, then slurmdbd, slurmctld and slurmd.
[ -f /etc/munge/munge.key ] || { mungekey --create --force; chown munge:munge /etc/munge/munge.key; }
runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid --force
munge -n | unmunge >/dev/null
/usr/sbin/mariadbd --user=mysql --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid > "$SCRATCH/log/mariadb.log" 2>&1 &
for _ in $(seq 30); do mariadb -e "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
mariadb -e "DROP DATABASE IF EXISTS binarybert_slurm_acct; CREATE DATABASE binarybert_slurm_acct;
            CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
            GRANT ALL ON binarybert_slurm_acct.* TO 'slurm'@'localhost';"
/usr/sbin/slurmdbd
for _ in $(seq 30); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 1; done
sacctmgr -i add cluster single >/dev/null
/usr/sbin/slurmctld -i
/usr/sbin/slurmd
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 1; done
sinfo

# The workflow of the tiny spec, run by Snakemake on the cluster.
WORKFLOW=$SCRATCH/workflow
"$BINARYBERT" report --spec "$SPEC" --work "$SCRATCH/work-slurm" --output "$SCRATCH/plots-slurm" --threads "$CPUS" --jobs "$CPUS" \
    --workflow snakemake --workflow-dir "$WORKFLOW" | tee "$SCRATCH/export.json"
START=$(date +%s)
( cd "$WORKFLOW" && "$VENV/bin/snakemake" --executor slurm --jobs 8 --slurm-init-seconds-before-status-checks 5 ) \
    > "$SCRATCH/snakemake.log" 2>&1 || { tail -30 "$SCRATCH/snakemake.log"; exit 1; }
WALL=$(( $(date +%s) - START ))
tail -3 "$SCRATCH/snakemake.log"

# The built-in runner on the same spec, for the outputs' comparison.
"$BINARYBERT" report --spec "$SPEC" --work "$SCRATCH/work-runner" --output "$SCRATCH/plots-runner" --threads "$CPUS" \
    > "$SCRATCH/runner.json" 2> "$SCRATCH/runner.log"

python3 Analyses/slurm/summarize.py "$SCRATCH" "$WALL" > "$SUMMARY"
head -20 "$SUMMARY"

#!/usr/bin/env bash
# make slurm-test: a sweep fanned out as a real Slurm job array on this machine, merged, and
# checked against the same sweep run in-process, bit for bit; then a shrink whose candidates
# train as array jobs, checked against the same shrink in-process (issue 19).
#
# Starts munged, slurmctld and slurmd (one node: this machine, all its CPUs; a configuration of
# its own in a temporary folder, SLURM_CONF), runs a 4-point sweep on the demo data as an array
# job, merges it with `tinycast merge`, compares the merged JSON and table with the in-process
# sweep's, then stops the daemons it started. Needs root and Debian's slurm-wlm and munge
# (.ci/run installs them). Any failure says which step failed and shows the daemons' logs.
set -euo pipefail
cd "$(dirname "$0")/.."
TINYCAST=${TINYCAST:-$PWD/.build/release/tinycast}
work=$(mktemp -d /tmp/tinycast-slurm.XXXXXX)
started=()

fail() {
  echo "slurm-test: FAILED: $*"
  for log in "$work"/slurmctld.log "$work"/slurmd.log; do
    [ -f "$log" ] && { echo "--- $log (last 15 lines)"; tail -15 "$log"; }
  done
  exit 1
}
stop() {
  set +e
  [ -n "${job:-}" ] && scancel "$job" 2>/dev/null
  echo "slurm-test: stopping the daemons it started (${started[*]})"
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 1
  for pid in "${started[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap stop EXIT
# Starts daemon $1 (the rest: its command line), which writes its pid to $work/$1.pid.
daemon() {
  local name=$1
  shift
  "$@" 2>"$work/$name.err" || fail "$name did not start: $(cat "$work/$name.err")"
  sleep 1
  started+=("$(cat "$work/$name.pid")")
}

[ "$(id -u)" = 0 ] || fail "needs root (the daemons run as root here)"
for tool in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install slurm-wlm munge"
done
[ -x "$TINYCAST" ] || fail "$TINYCAST is missing: make build first"

# munge: a key (the package makes one; make it if not) and the daemon, unless one runs already.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chmod 400 /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
if ! munge -n >/dev/null 2>&1; then
  daemon munged munged --force --pid-file="$work/munged.pid"
  munge -n | unmunge >/dev/null || fail "munge cannot encode and decode a credential"
fi

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<EOF
ClusterName=tinycast-test
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
daemon slurmctld slurmctld -c
daemon slurmd slurmd -c
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || fail "the node did not become idle (sinfo says '${state:-nothing}')"
echo "slurm-test: Slurm $(slurmd -V | awk '{print $2}') up: one node ($host), $cpus CPUs"

# The same 4-point sweep in-process and as an array job.
prefix="load demo
train units=3 epochs=1 runs=1 seed=3 as base"
sweep="sweep units=2,3,4,5 train epochs=1 runs=2 seed=5"
printf '%s\n%s\ncompare lstm2 lstm3 lstm4 lstm5 to=inprocess.json\n' "$prefix" "$sweep" >"$work/inprocess.tcs"
printf '%s\n%s engine=slurm dir=points submit=on\n' "$prefix" "$sweep" >"$work/slurm.tcs"
(cd "$work" && "$TINYCAST" run inprocess.tcs >inprocess.out 2>&1) || fail "the in-process sweep: $(tail -3 "$work/inprocess.out")"
(cd "$work" && "$TINYCAST" run slurm.tcs >slurm.out 2>&1) || fail "the Slurm sweep: $(tail -3 "$work/slurm.out")"
job=$(sed -n 's/^submitted job \([0-9]*\):.*/\1/p' "$work/slurm.out")
[ -n "$job" ] || fail "no job submitted: $(tail -3 "$work/slurm.out")"
echo "slurm-test: submitted array job $job (4 tasks)"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "job $job still queued or running after 10 minutes"
job=""

(cd "$work" && "$TINYCAST" merge points --out merged.json >merge.out 2>&1) || fail "merge: $(cat "$work/merge.out")"
cmp -s "$work/merged.json" "$work/inprocess.json" || fail "the merged JSON differs from the in-process sweep's"
table() { sed -n '/^model /,/^knee:/{p;/^knee:/q}' "$1"; }
[ -n "$(table "$work/inprocess.out")" ] || fail "the in-process sweep printed no table"
[ "$(table "$work/merge.out")" = "$(table "$work/inprocess.out")" ] || fail "the merged table differs from the in-process one"
echo "slurm-test: ok: 4 array tasks merged; the table and every number equal the in-process sweep's, bit for bit"

# A shrink whose candidates train as array jobs (submit=on waits for each group), against the
# same shrink in-process: the same candidate table, and the same recorded winner.
shrink="shrink base budget=+5 epochs=1 ft_epochs=1 seed=100 linear=off"
printf '%s\n%s\nsave session shrink-inprocess-saved.tcs\n' "$prefix" "$shrink" >"$work/shrink-inprocess.tcs"
printf '%s\n%s engine=slurm dir=trainings submit=on\nsave session shrink-slurm-saved.tcs\n' "$prefix" "$shrink" \
  >"$work/shrink-slurm.tcs"
(cd "$work" && "$TINYCAST" run shrink-inprocess.tcs >shrink-inprocess.out 2>&1) ||
  fail "the in-process shrink: $(tail -3 "$work/shrink-inprocess.out")"
(cd "$work" && timeout 900 "$TINYCAST" run shrink-slurm.tcs >shrink-slurm.out 2>&1) ||
  fail "the Slurm shrink: $(tail -5 "$work/shrink-slurm.out")"
groups=$(grep -c "as a Slurm job array" "$work/shrink-slurm.out" || true)
[ "$groups" -ge 1 ] || fail "the Slurm shrink submitted nothing: $(tail -3 "$work/shrink-slurm.out")"
candidates() { sed -n '/^  candidate /,/^[^ ]/p' "$1" | grep '^  '; }
[ -n "$(candidates "$work/shrink-inprocess.out")" ] || fail "the in-process shrink printed no candidates"
[ "$(candidates "$work/shrink-slurm.out")" = "$(candidates "$work/shrink-inprocess.out")" ] ||
  fail "the Slurm shrink's candidates differ from the in-process ones"
body() { grep -v '^#!' "$1"; }
[ "$(body "$work/shrink-slurm-saved.tcs")" = "$(body "$work/shrink-inprocess-saved.tcs")" ] ||
  fail "the Slurm shrink recorded another winner than the in-process one"
echo "slurm-test: ok: shrink trained its candidates in $groups array job(s); every candidate, number and the" \
  "recorded winner equal the in-process search's"
rm -rf "$work"

#!/usr/bin/env bash
# e2e.sh: prove `routesim run --shard` + `routesim merge` on a real one-node Slurm cluster on
# this machine, through deploy/slurm/routesim-array.sbatch.
#
#   sudo deploy/slurm/e2e.sh          # as root; Debian or Ubuntu (installs slurm-wlm, munge)
#
# What it does:
#   1. installs Debian's slurm-wlm and munge with apt-get if slurmctld, slurmd or munged is
#      missing (no daemon is started by the install: a policy-rc.d is put in place meanwhile);
#   2. starts a private munged (own key and socket) and a private slurmctld + slurmd, all
#      configured under a temporary folder (its slurm.conf is given with -f and SLURM_CONF,
#      on ports of its own), so a system Slurm or munge configuration is neither read nor
#      touched;
#   3. builds target/release/routesim if it is missing;
#   4. submits the array job (4 shards of scenarios/support-desk.toml, 8 replications) and a
#      merge job that depends on it (afterok), plus a 2-task array whose tasks fail half-way
#      through writing, to check that a failed task leaves no part;
#   5. compares, byte for byte, the merged JSON (merged by the dependent job, and again here)
#      with `routesim run ... --replications 8 --format json` on one machine.
# It exits 0 and prints PASS only if all of it held. Whatever happens, it cancels its jobs,
# stops the daemons it started and removes its temporary folder.
#
# Environment: E2E_TIMEOUT (seconds to wait for each stage, default 120), E2E_KEEP=1 keeps
# the temporary folder (logs, parts) for a look after a failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SCENARIO_REL=scenarios/support-desk.toml
REPS=8
SHARDS=4
TIMEOUT=${E2E_TIMEOUT:-120}
BIN=$REPO/target/release/routesim

T0=$SECONDS
WORK=""
POLICY_RC=""
MUNGED_PID="" SLURMCTLD_PID="" SLURMD_PID=""
JOBS=()

say() { printf '==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Stop one daemon we started: TERM, up to 15 s to go, then KILL.
stop_daemon() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

show_logs() {
    local f
    for f in "$WORK"/jobs/*.err "$WORK"/log/*.log "$WORK"/log/*.out; do
        [ -s "$f" ] || continue
        case $f in */routesim-dies-*) continue ;; esac   # fails on purpose
        printf -- '--- %s (last lines)\n' "${f#"$WORK"/}" >&2
        tail -n 8 "$f" >&2
    done
}

cleanup() {
    local rc=$? i
    set +e
    trap - EXIT INT TERM
    if [ -n "$POLICY_RC" ]; then rm -f "$POLICY_RC"; fi
    if [ ${#JOBS[@]} -gt 0 ] && [ -n "$SLURMCTLD_PID" ] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
        scancel "${JOBS[@]}" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            [ -z "$(squeue -h -o %i -j "$(IFS=,; echo "${JOBS[*]}")" 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    if [ "$rc" -ne 0 ] && [ -n "$WORK" ] && [ -d "$WORK" ]; then show_logs; fi
    stop_daemon "$SLURMD_PID"
    stop_daemon "$SLURMCTLD_PID"
    stop_daemon "$MUNGED_PID"
    if [ -n "$WORK" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
    fi
    if [ "$rc" -eq 0 ]; then
        echo "PASS ($((SECONDS - T0)) s)"
    else
        echo "FAIL ($((SECONDS - T0)) s)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || fail "run as root (it installs packages and runs slurmd as root)"

WORK=$(mktemp -d /tmp/routesim-e2e.XXXXXX)
chmod 700 "$WORK"
mkdir -p "$WORK"/{etc,log,state,spool,munge,jobs,parts,parts-failing}

# --- 1. packages --------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    say "installing slurm-wlm and munge (apt-get)"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        # Keep the packages' scripts from starting system daemons during the install.
        POLICY_RC=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' > "$POLICY_RC"
        chmod 755 "$POLICY_RC"
    fi
    {
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends slurm-wlm munge
    } > "$WORK/log/apt.log" 2>&1 || { tail -n 20 "$WORK/log/apt.log" >&2; fail "apt-get failed"; }
    if [ -n "$POLICY_RC" ]; then rm -f "$POLICY_RC"; POLICY_RC=""; fi
fi
say "$(slurmctld -V), $(munged -V | cut -d' ' -f1)"

# --- 2. munge and slurm -------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
CTLD_PORT=""
for p in 16817 16917 17017 17117 17217; do
    if port_free "$p" && port_free $((p + 1)); then CTLD_PORT=$p; break; fi
done
[ -n "$CTLD_PORT" ] || fail "no free pair of ports for slurmctld and slurmd"
SLURMD_PORT=$((CTLD_PORT + 1))

MUNGE_KEY=$WORK/munge/munge.key
MUNGE_SOCKET=$WORK/munge/munge.socket
if ! mungekey --create --keyfile="$MUNGE_KEY" 2>/dev/null; then
    dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
fi
chmod 400 "$MUNGE_KEY"
say "starting munged, slurmctld and slurmd (private config in $WORK)"
munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$MUNGE_KEY" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/log/munged.log" > "$WORK/log/munged.out" 2>&1 &
MUNGED_PID=$!
for ((i = 0; i < 100; i++)); do
    [ -S "$MUNGE_SOCKET" ] && break
    kill -0 "$MUNGED_PID" 2>/dev/null || fail "munged exited at start"
    sleep 0.1
done
munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" > /dev/null \
    || fail "munge round trip failed on $MUNGE_SOCKET"

NODE=$(hostname -s)
CPUS=$(nproc)
export SLURM_CONF=$WORK/etc/slurm.conf
: > "$WORK/etc/plugstack.conf"
cat > "$SLURM_CONF" <<EOF
# Private one-node cluster of deploy/slurm/e2e.sh; removed when it ends.
ClusterName=routesim-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
PlugStackConfig=$WORK/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -c -f "$SLURM_CONF" > "$WORK/log/slurmctld.out" 2>&1 &
SLURMCTLD_PID=$!
slurmd -D -f "$SLURM_CONF" -N "$NODE" > "$WORK/log/slurmd.out" 2>&1 &
SLURMD_PID=$!

state=""
for ((i = 0; i < TIMEOUT * 2; i++)); do
    kill -0 "$SLURMCTLD_PID" 2>/dev/null || fail "slurmctld exited at start"
    kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd exited at start"
    state=$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || fail "node $NODE not idle after ${TIMEOUT}s (sinfo: ${state:-no answer})"
say "node $NODE idle ($CPUS CPUs), slurmctld on port $CTLD_PORT"

# --- 3. routesim --------------------------------------------------------------------------
if [ ! -x "$BIN" ]; then
    say "building routesim (cargo build --release)"
    (cd "$REPO" && cargo build --release --quiet) || fail "cargo build --release failed"
fi

# --- 4. jobs ------------------------------------------------------------------------------
# sbatch --parsable prints "jobid" or "jobid;cluster".
jobid() { local out; out=$(sbatch --parsable "$@") || return 1; echo "${out%%;*}"; }
# The array job script, submitted from the repository with its variables in the environment
# (sbatch exports it to the job). SCENARIO is relative to the submit folder, as a user would
# give it: the job script makes it absolute before it is recorded in the parts.
submit_array() { # PARTS_DIR ROUTESIM SWEEP sbatch-options...
    (
        cd "$REPO"
        export SCENARIO=$SCENARIO_REL REPLICATIONS=$REPS PARTS_DIR=$1 ROUTESIM=$2 SWEEP=$3
        shift 3
        jobid "$@" --output="$WORK/jobs/%x-%A_%a.out" --error="$WORK/jobs/%x-%A_%a.err" \
            "$HERE/routesim-array.sbatch"
    )
}

say "submitting array job: $SCENARIO_REL, $REPS replications, shards 0-$((SHARDS - 1))"
ARRAY_JOB=$(submit_array "$WORK/parts" "$BIN" "" --array=0-$((SHARDS - 1))) \
    || fail "sbatch of the array job failed"
JOBS+=("$ARRAY_JOB")
# A sweep of 6 points (early agents 6 to 8, late 7 or 8) in 3 shards of 2 points each.
SWEEP_SETS="--set agents.early.count=6..8 --set agents.late.count=7,8"
say "submitting sweep array job: $SWEEP_SETS, shards 0-2"
SWEEP_JOB=$(submit_array "$WORK/sweep-parts" "$BIN" "$SWEEP_SETS" --array=0-2 \
    --job-name=routesim-sweep) || fail "sbatch of the sweep array job failed"
JOBS+=("$SWEEP_JOB")
MERGE_JOB=$(jobid --dependency=afterok:"$ARRAY_JOB" --kill-on-invalid-dep=yes \
    --job-name=routesim-merge --chdir="$WORK/jobs" \
    --output="$WORK/jobs/%x-%j.out" --error="$WORK/jobs/%x-%j.err" \
    --wrap "'$BIN' merge --format json --quiet '$WORK'/parts/part-*.json > '$WORK/merged-by-job.json'") \
    || fail "sbatch of the merge job failed"
JOBS+=("$MERGE_JOB")

# A stand-in for a routesim that dies half-way through its output (a crash, a kill, a full
# disk): the task must fail and leave nothing in its PARTS_DIR.
cat > "$WORK/routesim-dies" <<'EOF'
#!/bin/sh
printf '{\n  "format": "routesim-partial/1",\n'
exit 1
EOF
chmod 755 "$WORK/routesim-dies"
FAILING_JOB=$(submit_array "$WORK/parts-failing" "$WORK/routesim-dies" "" --array=0-1 \
    --job-name=routesim-dies) || fail "sbatch of the failing array job failed"
JOBS+=("$FAILING_JOB")
say "jobs: array $ARRAY_JOB, merge $MERGE_JOB (afterok:$ARRAY_JOB), failing array $FAILING_JOB"

for ((i = 0; i < TIMEOUT * 2; i++)); do
    [ -z "$(squeue -h -o %i -j "$ARRAY_JOB,$MERGE_JOB,$FAILING_JOB,$SWEEP_JOB" 2>/dev/null)" ] && break
    sleep 0.5
done
left=$(squeue -h -o '%i %T %r' -j "$ARRAY_JOB,$MERGE_JOB,$FAILING_JOB,$SWEEP_JOB" 2>/dev/null || true)
[ -z "$left" ] || fail "jobs not done after ${TIMEOUT}s: $left"

# JobState and ExitCode of every task of a job (one line each).
states() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]* .*ExitCode=[0-9:]*' \
    | sed 's/JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\)/\1 \2/'; }
bad=$(states "$ARRAY_JOB" | grep -cv '^COMPLETED 0:0$' || true)
n=$(states "$ARRAY_JOB" | wc -l)
if [ "$n" != "$SHARDS" ] || [ "$bad" != 0 ]; then
    fail "array job $ARRAY_JOB: $(states "$ARRAY_JOB" | sort | uniq -c | tr -s ' \n' ' ')"
fi
[ "$(states "$MERGE_JOB")" = "COMPLETED 0:0" ] \
    || fail "merge job $MERGE_JOB: $(states "$MERGE_JOB")"
say "array job: $SHARDS tasks COMPLETED; merge job COMPLETED"

failed=$(states "$FAILING_JOB" | grep -c '^FAILED' || true)
[ "$failed" = 2 ] || fail "failing array $FAILING_JOB: $(states "$FAILING_JOB" | tr '\n' ' ')"
left=$(find "$WORK/parts-failing" -mindepth 1 -printf '%f ')
[ -z "$left" ] || fail "failed tasks left files behind: $left"
say "failing array: both tasks FAILED and left no file in their PARTS_DIR"

# --- 5. compare ---------------------------------------------------------------------------
parts=$(find "$WORK/parts" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
[ "$parts" = "part-0000.json part-0001.json part-0002.json part-0003.json " ] \
    || fail "unexpected files in PARTS_DIR: $parts"
"$BIN" merge --format json --quiet "$WORK"/parts/part-*.json > "$WORK/merged.json" \
    || fail "routesim merge failed"
(cd "$REPO" && "$BIN" run "$SCENARIO_REL" --replications "$REPS" --format json --quiet) \
    > "$WORK/single.json" || fail "routesim run on one machine failed"
cmp "$WORK/merged-by-job.json" "$WORK/single.json" \
    || fail "merged by the Slurm job differs from the one-machine run"
cmp "$WORK/merged.json" "$WORK/single.json" \
    || fail "merged here differs from the one-machine run"
say "merged JSON ($(wc -c < "$WORK/single.json") bytes, by the merge job and here) == one-machine run"

# The sweep: its 3 tasks completed, and the merged grid is the one-machine sweep, byte for byte.
bad=$(states "$SWEEP_JOB" | grep -cv '^COMPLETED 0:0$' || true)
[ "$bad" = 0 ] || fail "sweep array $SWEEP_JOB: $(states "$SWEEP_JOB" | tr '\n' ' ')"
# shellcheck disable=SC2086 # SWEEP_SETS is a list of flags
(cd "$REPO" && "$BIN" sweep "$SCENARIO_REL" $SWEEP_SETS --replications "$REPS" --format csv \
    --quiet) > "$WORK/sweep-single.csv" || fail "routesim sweep on one machine failed"
"$BIN" merge --format csv --quiet "$WORK"/sweep-parts/part-*.json > "$WORK/sweep-merged.csv" \
    || fail "routesim merge of the sweep failed"
cmp "$WORK/sweep-merged.csv" "$WORK/sweep-single.csv" \
    || fail "the sweep merged from Slurm differs from the one-machine sweep"
say "sweep: 3 tasks COMPLETED; merged grid ($(($(wc -l < "$WORK/sweep-single.csv") - 1)) points) == one-machine sweep"

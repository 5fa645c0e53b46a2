#!/bin/bash
# bench/database_failover.py for each stack, fault and token setting (Corosync's default and
# 1000 ms; Patroni's default and tuned timings), RUNS runs each; one JSON-lines file per cell in
# bench/results/database-STACK-TOKEN-FAULT.jsonl (the last line of each is its summary). A cell
# whose runs did not all recover, lose nothing and rejoin by themselves still keeps its file
# (PAF never rejoins an old primary after a power cut: that is one of the measured results).
# Usage (root): bash bench/run-database-campaign.sh [RUNS] [STACK...]
#   (default 5 runs, stacks vigil pacemaker patroni: about 25 minutes per stack)
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
shift || true
STACKS=("${@:-vigil pacemaker patroni}")
read -r -a STACKS <<< "${STACKS[*]}"
for stack in "${STACKS[@]}"; do
    for token in default 1000; do
        for fault in powercut kill switchover; do
            args=(--stack "$stack" --fault "$fault" --runs "$RUNS" --json --name "db${stack:0:3}")
            [ "$token" = default ] || args+=(--token "$token")
            out="bench/results/database-$stack-$token-$fault.jsonl"
            python3 bench/database_failover.py "${args[@]}" > "$out.tmp"
            echo "$stack $token $fault: exit $?"
            mv "$out.tmp" "$out"
            tail -n 1 "$out"
        done
    done
done

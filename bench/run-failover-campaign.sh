#!/bin/bash
# Every failover scenario with both token settings (Corosync's default and 1000 ms), RUNS runs
# each; one JSON-lines file per setting in bench/results/ (the last line of each is its summary).
# Usage (root): bash bench/run-failover-campaign.sh [RUNS]   (about 30 minutes with 10 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
for token in default 1000; do
    for scenario in webkill hardkill hardkill-dc move; do
        args=(--scenario "$scenario" --runs "$RUNS" --json)
        [ "$token" = default ] || args+=(--token "$token")
        python3 bench/failover.py "${args[@]}" > "bench/results/failover-$token-$scenario.jsonl"
        tail -n 1 "bench/results/failover-$token-$scenario.jsonl"
    done
done

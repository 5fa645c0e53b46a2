#!/usr/bin/env bash
# vigil's checks: lint, types, layering, tests. Runs every step, then exits non-zero if any failed.
# pytest's exit code 5 (no tests collected) counts as a failure like any other non-zero code.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=()

step() {
    local name=$1
    shift
    echo "==> $name: $*"
    "$@"
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "==> $name FAILED (exit $rc)"
        failed+=("$name")
    fi
}

step ruff python3 -m ruff check src tests bench
step mypy python3 -m mypy
step import-linter lint-imports
step pytest python3 -m pytest tests "$@"

if [ "${#failed[@]}" -ne 0 ]; then
    echo "==> failed: ${failed[*]}"
    exit 1
fi
echo "==> all checks passed"

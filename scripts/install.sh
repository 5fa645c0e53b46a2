#!/usr/bin/env bash
# Install what vigil's checks need on a Debian 12 machine, as root. Safe to run again.
#   - pacemaker-cli-utils: crm_simulate, the oracle of the conformance and differential tests;
#   - vigil itself, editable, with its dev extras (pytest, hypothesis, ruff, mypy, import-linter).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install.sh: run as root (apt-get needs it)" >&2
    exit 1
fi

if ! command -v crm_simulate >/dev/null 2>&1 || ! dpkg-query -W -f='${Status}' pacemaker-cli-utils 2>/dev/null \
        | grep -q 'install ok installed'; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends pacemaker-cli-utils
fi

cd "$repo"
python3 -m pip install -e '.[dev]'

#!/usr/bin/env bash
# Install the lab's fence agent, fence_vigil_lab (src/vigil/lab/fence_vigil_lab.py), as a copy in
# DIR (default /usr/sbin, where vigil's fencer, like pacemaker-fenced, looks for fence_* agents).
# A copy, not a link into this clone: deleting or moving the clone must not break the lab's
# fencing. The module is standard library only and runs with `/usr/bin/python3 -I`, so the copy
# needs nothing else. Running it again (install.sh does) replaces the copy atomically.
# Usage: bash scripts/install-fence-agent.sh [DIR]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/src/vigil/lab/fence_vigil_lab.py"
dir=${1:-/usr/sbin}
dest="$dir/fence_vigil_lab"

if [ ! -f "$src" ]; then
    echo "install-fence-agent.sh: $src is missing: run it from a vigil checkout" >&2
    exit 1
fi
# a temporary file beside the target, then rename: a fence run at that moment sees the old agent
# or the new one, never half of one; the rename also replaces an old symlink (not its target)
tmp=$(mktemp "$dir/.fence_vigil_lab.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
chmod 0755 "$tmp"
if ! "$tmp" -o metadata >/dev/null; then
    echo "install-fence-agent.sh: the copy does not run (its interpreter is $(head -1 "$src" | cut -c3-))" >&2
    exit 1
fi
mv -fT "$tmp" "$dest"
trap - EXIT
echo "installed $dest (a copy of $src)"

#!/usr/bin/env bash
# Install what vigil's checks need on a Debian 12 machine, as root. Safe to run again.
#   - pacemaker-cli-utils: crm_simulate, the oracle of the conformance and differential tests;
#   - vigil itself, editable, with its run-time dependencies (the remote endpoint: prometheus-client,
#     aiohttp, cryptography; lxml, which validates every CIB against Pacemaker's schemas), its dev
#     extras (pytest, hypothesis, ruff, mypy, import-linter) and its lab extras (psycopg: the
#     database demo's client), all pinned in pyproject.toml;
#   - the lab's fence agent, a copy in /usr/sbin (scripts/install-fence-agent.sh);
#   - vigil's OCF agents (src/vigil/agents), copies in /usr/lib/ocf/resource.d/vigil.
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

# Debian packages, each installed only when missing:
#   - pacemaker-cli-utils: crm_simulate and crm_verify, the oracles of the conformance,
#     differential and verify tests; pacemaker-common: Pacemaker's RelaxNG schemas
#     (/usr/share/pacemaker), against which vigil validates every CIB it reads and writes;
#   - the lab (vigil lab, tests/lab): corosync, iproute2 (netns, bridges, veth), util-linux (unshare,
#     nsenter), procps (sysctl), iputils-ping and curl (probes from the lab's client namespace);
#   - the executor's tests (tests/executor) run real agents: resource-agents (ocf:heartbeat:*: Dummy,
#     anything, IPaddr2, apache), pacemaker-resource-agents (ocf:pacemaker:Dummy, an OCF 1.1 agent
#     with reload-agent) and fence-agents (fence_* metadata);
#   - the cluster layer (src/vigil/cluster, tests/cluster): corosync's client libraries, which vigil
#     loads with ctypes (libcpg4, libvotequorum8, libcmap4, libcorosync-common4; corosync pulls them
#     in, they are listed for the binding), and corosync, iproute2, util-linux for its namespace lab;
#   - the lab's quorum device (vigil lab up --qdevice, tests/lab/test_qdevice.py): corosync-qnetd (the
#     server and corosync-qnetd-certutil) and corosync-qdevice (the daemon, its certutil and tool);
#     libnss3-tools (certutil, pk12util) comes with them. corosync-qnetd's package enables its unit
#     and makes /etc/corosync/qnetd/nssdb; the lab uses neither (its qnetd runs from the lab's data);
#   - promotable clones with real agents (tests/lab/test_promotable*.py): resource-agents-paf (PAF's
#     ocf:heartbeat:pgsqlms), postgresql and redis-server (the servers ocf:heartbeat:pgsql/pgsqlms and
#     ocf:heartbeat:redis manage), and beanstalkd (the work queue that follows the primary in
#     `vigil demo postgres`, as in seed 004). Their packages enable units; vigil's lab starts its
#     own instances;
#   - the database benchmark's anchors (bench/database_failover.py --stack pacemaker|patroni):
#     pacemaker (Pacemaker 2.1.5's daemons, run in the lab's nodes in place of vigild), patroni and
#     etcd-server (Patroni 3.0.2 with its etcd, run in the lab's nodes). Their units are not used:
#     when this install brings them in on a systemd host, it stops and disables them;
#   - prometheus (Debian's Prometheus 2.42): tests/lab/test_prometheus.py runs its own copy in
#     the lab's client namespace to scrape the nodes' remote endpoints (its unit is not used);
#   - chromium (and fonts-dejavu-core for its text): the web UI's browser tests (tests/ui,
#     tests/lab/test_ui_lab.py) drive Debian's headless chromium with Playwright, which cannot
#     download a browser of its own here.
apt_packages=(pacemaker-cli-utils pacemaker-common corosync iproute2 util-linux procps iputils-ping curl
              resource-agents pacemaker-resource-agents fence-agents
              libcpg4 libvotequorum8 libcmap4 libcorosync-common4
              corosync-qnetd corosync-qdevice libnss3-tools
              resource-agents-paf postgresql redis-server beanstalkd
              pacemaker patroni etcd-server prometheus chromium fonts-dejavu-core)
apt_missing=()
for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        apt_missing+=("$pkg")
    fi
done
if [ "${#apt_missing[@]}" -ne 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${apt_missing[@]}"
    # The anchors' packages enable and start their units on a systemd host (a Pacemaker beside
    # vigil, an etcd on 127.0.0.1:2379): the benchmark runs its own copies inside the lab, so
    # the units this install just brought in are stopped and disabled. A unit of a package that
    # was already installed before is left as its operator set it.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        for pair in pacemaker:pacemaker.service etcd-server:etcd.service patroni:patroni.service \
                    prometheus:prometheus.service; do
            pkg=${pair%%:*} unit=${pair#*:}
            if [[ " ${apt_missing[*]} " == *" $pkg "* ]]; then
                "${sudo[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
            fi
        done
    fi
fi

cd "$repo"
python3 -m pip install -e '.[dev,lab]'

# The lab's fence agent, fence_vigil_lab, where fence agents live (vigil's fencer, like
# pacemaker-fenced, runs only /usr/sbin/fence_*): a copy, so that deleting this clone does not
# break the lab's fencing; running install.sh again updates it.
"${sudo[@]}" bash "$repo/scripts/install-fence-agent.sh" /usr/sbin

# vigil's OCF agents (ocf:vigil:*, e.g. pgsqlms: PAF's agent plus the old primary's rejoin), copies
# where OCF agents live, so that deleting this clone does not break a running cluster
"${sudo[@]}" install -d -m 0755 /usr/lib/ocf/resource.d/vigil
for agent in "$repo"/src/vigil/agents/*; do
    [ -f "$agent" ] || continue
    "${sudo[@]}" install -m 0755 "$agent" "/usr/lib/ocf/resource.d/vigil/$(basename "$agent")"
done

# The remote endpoint checks the hacluster password with PAM through its own service (as pcsd
# has /etc/pam.d/pcsd) on nodes without a password file (vigil host password): the system's
# usual authentication and account rules. Written once; an operator's own file is kept.
if [ ! -e /etc/pam.d/vigil ]; then
    printf '%s\n' '# vigil remote endpoint (vigil host auth): the system password of hacluster' \
        '@include common-auth' '@include common-account' | "${sudo[@]}" tee /etc/pam.d/vigil >/dev/null
fi

# The remote endpoint's unit (vigil-remote.service), where systemd runs: installed, not enabled
# (as pcs's docs have `systemctl enable --now pcsd` on every node, an operator decides which
# machines listen on port 2224: `systemctl enable --now vigil-remote`).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    # and vigil-remoted.service, for a machine that is to be a remote node (not enabled either)
    for unit in vigil-remote.service vigil-remoted.service; do
        python3 -c 'import sys; from vigil.commands.cluster import unit_text; sys.stdout.write(unit_text(sys.executable, sys.argv[1]))' "$unit" \
            | "${sudo[@]}" tee "/etc/systemd/system/$unit" >/dev/null
    done
    "${sudo[@]}" systemctl daemon-reload
fi

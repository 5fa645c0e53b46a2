"""Helpers of the fencer tests: CIBs with stonith devices, and test fence agents in a temporary
agent directory that log what they were told and behave as their device parameters say."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from vigil.cib import read
from vigil.model.cib import Cib

ALL_ACTIONS = ("on", "off", "reboot", "status", "list", "monitor", "metadata")

# The agent: `log=PATH` appends every call's options (one JSON line); `behave` is a JSON object
# action -> {"rc": int, "out": str, "sleep": seconds, "spawn": pidfile}: what that action does
# ("spawn" starts a grandchild `sleep 60` in the agent's group and writes its PID there first).
_AGENT = '''#!{python}
import json, os, subprocess, sys, time
METADATA = {metadata!r}
opts = {{}}
for line in sys.stdin.read().splitlines():
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        opts[k.strip()] = v.strip()
action = opts.get("action", "")
if action == "metadata":
    sys.stdout.write(METADATA)
    sys.exit(0)
if opts.get("log"):
    with open(opts["log"], "a") as f:
        f.write(json.dumps({{"t": time.monotonic(), "pid": os.getpid(), "pgid": os.getpgid(0),
                             "argv": sys.argv[1:], "opts": opts}}) + "\\n")
b = json.loads(opts.get("behave") or "{{}}").get(action, {{}})
if b.get("spawn"):
    child = subprocess.Popen(["sleep", "60"])
    with open(b["spawn"], "w") as f:
        f.write(str(child.pid))
time.sleep(b.get("sleep", 0))
sys.stdout.write(b.get("out", ""))
sys.stderr.write(b.get("err", ""))
sys.exit(b.get("rc", 0))
'''


def metadata(name: str, actions: Sequence[str], params: Sequence[str]) -> str:
    ps = "".join(f'<parameter name="{p}"><content type="string"/></parameter>' for p in params)
    acts = "".join(f'<action name="{a}"/>' for a in actions)
    return (f'<?xml version="1.0" ?>\n<resource-agent name="{name}" shortdesc="test">'
            f"<parameters>{ps}</parameters><actions>{acts}</actions></resource-agent>\n")


def write_agent(agent_dir: Path, name: str, *, actions: Sequence[str] = ALL_ACTIONS,
                params: Sequence[str] = ("port", "plug")) -> Path:
    agent_dir.mkdir(parents=True, exist_ok=True)
    path = agent_dir / name
    path.write_text(_AGENT.format(python=sys.executable, metadata=metadata(name, actions, params)))
    path.chmod(0o755)
    return path


def behave(**actions: dict[str, object]) -> str:
    return json.dumps(actions, separators=(",", ":"))


def calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def opts_of(log: Path) -> list[dict[str, str]]:
    return [c["opts"] for c in calls(log)]  # type: ignore[misc]


def stonith(rid: str, agent: str, params: dict[str, str] | None = None,
            meta: dict[str, str] | None = None) -> str:
    nv = "".join(f'<nvpair id="{rid}-ia-{i}" name={quoteattr(k)} value={quoteattr(v)}/>'
                 for i, (k, v) in enumerate((params or {}).items()))
    mv = "".join(f'<nvpair id="{rid}-ma-{i}" name={quoteattr(k)} value={quoteattr(v)}/>'
                 for i, (k, v) in enumerate((meta or {}).items()))
    return (f'<primitive id="{rid}" class="stonith" type="{agent}">'
            f'<instance_attributes id="{rid}-ia">{nv}</instance_attributes>'
            + (f'<meta_attributes id="{rid}-ma">{mv}</meta_attributes>' if meta else "")
            + "</primitive>")


def level(lid: str, index: int | str, devices: str, **target: str) -> str:
    attrs = " ".join(f"{k.replace('_', '-')}={quoteattr(v)}" for k, v in target.items())
    return f'<fencing-level id="{lid}" index="{index}" devices="{devices}" {attrs}/>'


def cib(*primitives: str, levels: Sequence[str] = (), nodes: Sequence[str] = ("n1", "n2", "n3")) -> Cib:
    node_xml = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(nodes, 1))
    topo = f"<fencing-topology>{''.join(levels)}</fencing-topology>" if levels else ""
    text = (f'<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7">'
            f"<configuration><crm_config/><nodes>{node_xml}</nodes>"
            f"<resources>{''.join(primitives)}</resources><constraints/>{topo}</configuration>"
            f"<status/></cib>")
    parsed, _ = read.parse_cib(text)
    return parsed

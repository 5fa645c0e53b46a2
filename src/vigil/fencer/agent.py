"""Running a fence agent: `key=value` lines on stdin, its own process group, a timeout that kills
the whole group, the exit code and the tails of its output.

What the agent is told (Pacemaker's make_args):
- `action`: the requested one, or the device's `pcmk_<action>_action` instead;
- for an action on a node (off, on, reboot, status): `nodename=<target>`, and the host argument
  (`pcmk_host_argument`, by default `port`, or `plug` when the agent declares plug but not port)
  set to the target's host_map alias or name, unless the device sets that parameter itself
  (to anything but "dynamic"); `pcmk_host_argument=none` sends no host argument;
- every device parameter (the `pcmk_*` ones were removed by `devices_from_cib`).

Agents are executables named fence_* in one directory (/usr/sbin, as pacemaker-fenced; tests
pass their own). They are run with the caller's environment, cwd /, stdin closed after the
parameters; a descendant that keeps the output pipes open does not delay the result.
"""

from __future__ import annotations

import enum
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from vigil.fencer.devices import AGENT_NAME, AgentInfo, FenceDevice
from vigil.host import child

DEFAULT_AGENT_DIR = Path("/usr/sbin")
METADATA_TIMEOUT_MS = 10_000  # what pacemaker-fenced allows a metadata call
STDOUT_LIMIT = 256 * 1024  # metadata and long `list` outputs fit
STDERR_LIMIT = 4096
KILL_WAIT_S = 5.0  # after SIGKILL of the group, how long the result waits for the agent to be reaped
# Fence agents get no grace period: a hung power switch must not hold up fencing.
KILL = child.KillPolicy(grace_s=0, repeat_s=KILL_WAIT_S, give_up_s=KILL_WAIT_S)
_SBIN = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
HOST_ACTIONS = frozenset({"on", "off", "reboot", "status"})  # actions about one node


class RunStatus(enum.Enum):
    DONE = "done"  # the agent exited by itself: see rc
    TIMEOUT = "timeout"  # killed (with its whole process group) at the timeout
    NOT_FOUND = "not-found"  # no such agent (or not executable)
    ERROR = "error"  # could not be started, or the parameters cannot be passed


@dataclass(frozen=True)
class AgentRun:
    device: str
    agent: str
    action: str  # as asked: reboot, off, on, status, list, monitor, metadata...
    sent_action: str  # as the agent got it (pcmk_<action>_action applied)
    target: str | None
    status: RunStatus
    rc: int | None  # the exit code when status is DONE
    stdout: str  # the last STDOUT_LIMIT bytes
    stderr: str  # the last STDERR_LIMIT bytes
    duration_ms: int
    detail: str = ""  # why it did not run or was killed

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.DONE and self.rc == 0


def agent_path(agent: str, agent_dir: Path = DEFAULT_AGENT_DIR) -> Path | None:
    """The agent's executable, None when there is none (or the name is not an agent's)."""
    if not AGENT_NAME.match(agent):
        return None
    path = agent_dir / agent
    return path if path.is_file() and os.access(path, os.X_OK) else None


def host_argument(device: FenceDevice) -> str | None:
    """The parameter that names the target for this device; None: do not send one."""
    if device.host_argument is not None:
        return None if device.host_argument.lower() == "none" else device.host_argument
    params = device.agent_info.parameters if device.agent_info else frozenset()
    if "port" not in params and "plug" in params:
        return "plug"
    return "port"


def agent_arguments(device: FenceDevice, action: str, target: str | None) -> list[tuple[str, str]]:
    """The `key=value` pairs the agent reads on stdin, in the order they are written."""
    sent = device.action_overrides.get(action, action)
    args = [("action", sent)]
    if action == "metadata":
        return args
    skip: set[str] = set()
    if target is not None:
        args.append(("nodename", target))
        param = host_argument(device)
        if param is not None:
            configured = device.params.get(param)
            if configured is None or configured.lower() == "dynamic":
                args.append((param, device.port_for(target)))
                skip.add(param)
    args.extend((k, v) for k, v in sorted(device.params.items()) if k not in skip and k not in ("nodename",))
    return args


def _env() -> dict[str, str]:
    env = dict(os.environ)
    path = [p for p in env.get("PATH", "").split(":") if p]
    env["PATH"] = ":".join([*path, *(p for p in _SBIN if p not in path)])
    return env


async def run_fence_agent(device: FenceDevice, action: str, target: str | None, *, timeout_ms: int,
                          agent_dir: Path = DEFAULT_AGENT_DIR) -> AgentRun:
    """Run `action` of the device's agent once (no retry, no delay: `fence` adds those). Never
    raises for agent trouble; cancelling kills the agent's process group and re-raises."""
    if target is not None and action not in HOST_ACTIONS:
        target = None  # list, monitor, metadata are about the device, not a node
    args = agent_arguments(device, action, target)
    sent = args[0][1]

    def result(status: RunStatus, rc: int | None = None, out: bytes = b"", err: bytes = b"",
               duration_ms: int = 0, detail: str = "") -> AgentRun:
        return AgentRun(device=device.id, agent=device.agent, action=action, sent_action=sent, target=target,
                        status=status, rc=rc, stdout=out.decode("utf-8", "replace"),
                        stderr=err.decode("utf-8", "replace"), duration_ms=duration_ms, detail=detail)

    path = agent_path(device.agent, agent_dir)
    if path is None:
        return result(RunStatus.NOT_FOUND, detail=f"no fence agent {device.agent!r} in {agent_dir}")
    bad = [k for k, v in args if "\n" in k or "\n" in v or "=" in k or "\0" in v]
    if bad:
        return result(RunStatus.ERROR, detail=f"parameters that cannot be passed on stdin: {', '.join(bad)}")
    stdin = "".join(f"{k}={v}\n" for k, v in args).encode()
    ex = await child.run([str(path)], env=_env(), stdin=stdin, timeout_ms=timeout_ms, kill=KILL,
                         stdout_limit=STDOUT_LIMIT, stderr_limit=STDERR_LIMIT)
    if ex.spawn_errno is not None:
        return result(RunStatus.ERROR, duration_ms=ex.duration_ms, detail=ex.spawn_error)
    if ex.timed_out:
        return result(RunStatus.TIMEOUT, None, ex.stdout, ex.stderr, ex.duration_ms,
                      detail=f"killed after {timeout_ms} ms")
    if ex.exit_code is None:
        return result(RunStatus.ERROR, None, ex.stdout, ex.stderr, ex.duration_ms,
                      detail=f"killed by signal {ex.signal}")
    return result(RunStatus.DONE, ex.exit_code, ex.stdout, ex.stderr, ex.duration_ms)


# -- metadata --------------------------------------------------------------------------------
def parse_agent_metadata(agent: str, text: str) -> AgentInfo:
    """Action and parameter names of a fence agent's metadata; ValueError if it is not XML."""
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as exc:
        raise ValueError(f"{agent} metadata: {exc}") from None
    actions = frozenset(a.get("name", "") for a in root.iter("action")) - {""}
    params = frozenset(p.get("name", "") for p in root.iter("parameter")) - {""}
    return AgentInfo(agent=agent, actions=actions, parameters=params)


async def agent_info(agent: str, *, agent_dir: Path = DEFAULT_AGENT_DIR,
                     timeout_ms: int = METADATA_TIMEOUT_MS) -> AgentInfo | None:
    """The agent's metadata (`action=metadata` on stdin); None when it is missing or gives none."""
    probe = FenceDevice(id="", agent=agent, params={})
    run = await run_fence_agent(probe, "metadata", None, timeout_ms=timeout_ms, agent_dir=agent_dir)
    if not run.ok:
        return None
    try:
        return parse_agent_metadata(agent, run.stdout)
    except ValueError:
        return None

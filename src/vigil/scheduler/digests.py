"""Definition changes: compare the recorded op-digest with the configured parameters."""

from __future__ import annotations

import enum
import hashlib

from vigil.model.nvset import flatten
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.resources import Primitive
from vigil.model.status import OperationRecord
from vigil.scheduler.working import Rsc, WorkingSet

_SKIP = {"crm_feature_set", "id", "op-digest", "on_node", "on_node_uuid", "pcmk_external_ip"}


def _escape(value: str) -> str:
    """Pacemaker's attribute escaping (as its XML dumper writes it, byte for byte): the five
    entities, a tab as four spaces, a newline as the two characters backslash-n; escaping stops
    at the first non-ASCII character, whose rest is written verbatim."""
    out: list[str] = []
    for i, ch in enumerate(value):
        if ord(ch) > 127:
            out.append(value[i:])
            break
        out.append(_ENTITIES.get(ch, ch))
    return "".join(out)


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;",
             "\t": "    ", "\n": "\\n"}


def parameters_digest(params: dict[str, str], *, keep: frozenset[str] = frozenset()) -> str:
    """MD5 of ' <parameters name="value".../>\\n' with names sorted byte-wise.

    CRM_meta_* and bookkeeping names are left out unless named in `keep` (recurring operations
    keep CRM_meta_timeout)."""
    items = sorted(((k, v) for k, v in params.items()
                    if k in keep or (not k.startswith("CRM_meta_") and k not in _SKIP)),
                   key=lambda kv: kv[0].encode())
    body = "".join(f' {k}="{_escape(v)}"' for k, v in items)
    text = f" <parameters{body}/>\n"
    return hashlib.md5(text.encode()).hexdigest()


def _restart_params(params: dict[str, str], force: str) -> dict[str, str]:
    names = set(force.split())
    return {k: v for k, v in params.items() if k in names}


# Parameters the fencer itself reads from a fence device's definition (which nodes it can fence,
# delays, how to call each action): the agent's metadata does not list them, so they are left
# out of the secure digest recorded for a fence device.
_FENCER_PARAMS = frozenset({"provides", "stonith-timeout", "pcmk_action_limit",
                            "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument",
                            "pcmk_host_check", "pcmk_host_list", "pcmk_host_map"})
_FENCER_SUFFIXES = ("_action", "_timeout", "_retries")


def _fencer_param(name: str) -> bool:
    if name in _FENCER_PARAMS:
        return True
    # pcmk_<action>_action, pcmk_<action>_timeout, pcmk_<action>_retries
    if not name.startswith("pcmk_"):
        return False
    rest = name[len("pcmk_"):]
    cut = rest.find("_")
    return cut > 0 and rest[cut:] in _FENCER_SUFFIXES


def secure_digest(rsc: Rsc, params: dict[str, str], private: str) -> str:
    """The digest of the parameters without the private ones (`private`: op-secure-params, names
    separated by spaces) and, for a fence device, without the fencer's own parameters."""
    names = set(private.split())
    fence = rsc.standard == "stonith"
    return parameters_digest({k: v for k, v in params.items()
                              if k not in names and not (fence and _fencer_param(k))})


def _own_params(rsc: Rsc, op: OperationRecord) -> dict[str, str]:
    """The instance attributes the configured operation (same name and interval as the record)
    adds to the resource's: the agent ran with them, so the digest covers them."""
    prim = rsc.model
    if not isinstance(prim, Primitive):
        return {}
    for conf in prim.operations:
        if conf.name == op.operation and conf.interval_ms == op.interval_ms:
            return flatten(conf.instance_attributes)
    return {}


def _only_private_changed(ws: WorkingSet, rsc: Rsc, params: dict[str, str],
                          op: OperationRecord) -> bool:
    """A sanitized CIB (crm_simulate's view: passwords shown masked) cannot match the recorded
    digest when a resource has private parameters; the secure digest, recorded without them,
    tells whether anything else changed. A live scheduler sees the real values and does not
    look at it: there a changed password is a change."""
    if not ws.sanitized or op.op_secure_digest is None:
        return False
    return secure_digest(rsc, params, op.op_secure_params or "") == op.op_secure_digest


def check_definition_changes(ws: WorkingSet, rsc: Rsc) -> None:
    """A start (or probe/promote/migrate_from) recorded with another digest means the resource
    definition changed: schedule a restart (or a reload when only reloadable params changed)."""
    if rsc.orphan or not rsc.managed or rsc.bundle_part:
        # a bundle's containers and IPs get parameters Pacemaker derives from the bundle;
        # vigil's derivation differs, so their recorded digests cannot be compared
        return
    if rsc.restart_needed:
        return
    for node in rsc.running_on:
        hist = rsc.histories.get(node.name)
        if hist is None:
            continue
        # a start still in flight (call-id -1) is the newest: it ran with the definition it
        # was sent with
        ops = sorted((op for op in hist.operations
                      if op.call_id >= 0 or op.op_status == ExecStatus.PENDING),
                     key=lambda op: (op.call_id < 0, op.call_id))
        last_start = None
        for i, op in enumerate(ops):
            if op.operation in ("start", "migrate_from") or op.is_probe:
                last_start = i
        if last_start is None:
            continue
        op = ops[last_start]
        if op.operation == "monitor" and op.rc_code not in (OcfResult.OK, OcfResult.RUNNING_PROMOTED):
            continue
        if op.op_status not in (ExecStatus.DONE, ExecStatus.PENDING):
            continue
        own = _own_params(rsc, op)
        params = rsc.params | own
        change = _changed(ws, rsc, op, params, own)
        if change == _Change.NONE:
            continue
        if change == _Change.RELOAD:
            if not rsc.start_pending:
                rsc.reload_needed = True
                return
            # a resource still starting cannot take a reload: it is stopped and started again
            # (no reason is given for that restart)
            rsc.restart_needed = True
            return
        rsc.restart_needed = True
        rsc.reason_restart = "resource definition change"
        return


class _Change(enum.Enum):
    NONE = "none"
    RELOAD = "reload"  # only reloadable parameters changed
    RESTART = "restart"


def _changed(ws: WorkingSet, rsc: Rsc, op: OperationRecord, params: dict[str, str],
             own: dict[str, str]) -> _Change:
    """How the definition `params` differs from the one `op` recorded (its digests)."""
    if op.op_restart_digest is not None:
        # the parameters a reload cannot change: those op-force-restart lists, or (a history
        # without that list) all of them
        names = params if op.op_force_restart is None else _restart_params(
            params, op.op_force_restart)
        if parameters_digest(names) != op.op_restart_digest:
            return _Change.NONE if _only_private_changed(ws, rsc, params, op) else \
                _Change.RESTART
    if op.op_digest is not None and op.op_digest == parameters_digest(params):
        return _Change.NONE
    if _only_private_changed(ws, rsc, params, op):
        return _Change.NONE
    # a reload applies the resource's parameters, not an operation's own: with those
    # configured, only a restart runs the operation as configured (and records it so)
    if op.op_restart_digest is not None and not own:
        return _Change.RELOAD
    return _Change.RESTART

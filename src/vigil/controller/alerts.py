"""Which alert agents to run for an event on this node, with what environment: Pacemaker's
alert interface (CRM_alert_kind, _node, _rsc, _task, _rc, _desc, _recipient...), decided from
the CIB's <alerts> alone. The shell runs them (effects.RunAlerts); nothing waits for them.

Where each kind is sent, as in Pacemaker: a resource operation's alert by the node that ran it
(not for a probe that found the resource stopped, nor a recurring monitor that stayed OK: the
executor reports monitors only when their result changes); node alerts (a member joined, one
was lost) and fencing alerts (each result) by every node that sees them.
"""

from __future__ import annotations

from vigil.controller import effects as fx
from vigil.controller.context import Step
from vigil.model.alerts import Alert, AlertSelect
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import NvSet
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import OperationRecord

ALERT_VERSION = "2.1.5"  # CRM_alert_version: the Pacemaker whose interface this is
DEFAULT_TIMEOUT_MS = 30_000
DEFAULT_TIMESTAMP_FORMAT = "%H:%M:%S.%06N"


def _plain(sets: tuple[NvSet, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in sets:
        if s.rule is None:
            for p in s.pairs:
                out.setdefault(p.name, p.value or "")
    return out


def _selected(select: AlertSelect | None, kind: str) -> bool:
    if select is None:
        return True
    return {"node": select.nodes, "fencing": select.fencing,
            "resource": select.resources}.get(kind, False)


def _enabled(meta: dict[str, str]) -> bool:
    return meta.get("enabled", "true").lower() not in ("false", "no", "0", "off")


def calls_for(cib: Cib, kind: str, fields: dict[str, str]) -> tuple[fx.AlertCall, ...]:
    """The agents to run for one event of `kind` (node, resource, fencing), CRM_alert_* values
    in `fields` (names without the prefix)."""
    out: list[fx.AlertCall] = []
    for alert in cib.configuration.alerts or ():
        if not _selected(alert.select, kind):
            continue
        meta = _plain(alert.meta_attributes)
        if not _enabled(meta):
            continue
        base = _plain(alert.instance_attributes)
        targets: list[tuple[str | None, str, dict[str, str], dict[str, str]]] = [
            (r.id, r.value, _plain(r.instance_attributes), _plain(r.meta_attributes))
            for r in alert.recipients]
        if not targets:  # no recipient: the agent runs once, with an empty recipient
            targets = [(None, "", {}, {})]
        for rid, value, options, own_meta in targets:
            merged_meta = {**meta, **own_meta}
            if not _enabled(merged_meta):
                continue
            out.append(_call(alert, rid, value, {**base, **options}, merged_meta, kind, fields))
    return tuple(out)


def _call(alert: Alert, recipient_id: str | None, value: str, options: dict[str, str],
          meta: dict[str, str], kind: str, fields: dict[str, str]) -> fx.AlertCall:
    env = dict(options)  # the agent's own options, as plain environment variables
    env.update({"CRM_alert_kind": kind, "CRM_alert_version": ALERT_VERSION,
                "CRM_alert_recipient": value})
    env.update({f"CRM_alert_{k}": v for k, v in fields.items()})
    timeout = parse_interval_ms(meta.get("timeout")) or DEFAULT_TIMEOUT_MS
    return fx.AlertCall(alert.id, recipient_id, alert.path, tuple(sorted(env.items())), timeout,
                        meta.get("timestamp-format", DEFAULT_TIMESTAMP_FORMAT))


def _desc(rc: int, status: int) -> str:
    """CRM_alert_desc of an operation: its result in words."""
    if status != ExecStatus.DONE:
        try:
            return ExecStatus(status).name.replace("_", " ").lower()
        except ValueError:
            return f"status {status}"
    try:
        return OcfResult(rc).name.replace("_", " ").lower()
    except ValueError:
        return f"rc {rc}"


def resource_fields(node: str, node_id: str, resource: str, rec: OperationRecord
                    ) -> dict[str, str] | None:
    """The fields of a resource alert, or None when the result is not worth one (a probe that
    found the resource stopped, as expected)."""
    if rec.is_probe and rec.rc_code == OcfResult.NOT_RUNNING:
        return None
    target = rec.expected_rc
    return {"node": node, "nodeid": node_id, "rsc": resource, "task": rec.operation,
            "interval": str(rec.interval_ms), "rc": str(rec.rc_code),
            "target_rc": str(target if target is not None else 0),
            "status": str(rec.op_status), "desc": _desc(rec.rc_code, rec.op_status)}


def node_fields(node: str, node_id: str, member: bool) -> dict[str, str]:
    return {"node": node, "nodeid": node_id, "desc": "member" if member else "lost"}


def fencing_fields(target: str, action: str, ok: bool, by: str, detail: str) -> dict[str, str]:
    outcome = "OK" if ok else f"failed ({detail})" if detail else "failed"
    return {"node": target, "task": action, "rc": "0" if ok else "1",
            "desc": f"Operation {action} of {target} by {by}: {outcome}"}


def send(s: Step, kind: str, fields: dict[str, str] | None) -> None:
    """Ask the shell to run the alerts of one event (nothing when none is configured for it)."""
    if fields is None:
        return
    found = calls_for(s.state.cib, kind, fields)
    if found:
        s.effects.append(fx.RunAlerts(found))

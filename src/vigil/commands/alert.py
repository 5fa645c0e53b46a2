"""Alerts and their recipients (pcs's `alert ...`): which agent the cluster runs on events, and
for whom. The agent must exist on every node; one missing on this node is a warning (the file
may be edited elsewhere), and vigild says in its events log when it cannot run one."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.alerts import Alert, Recipient
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError

Pairs = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class AlertSpec:
    """What `alert create|update` and `alert recipient add|update` were given."""

    values: Pairs = ()  # path=, id=, description=, value= (the element's own attributes)
    options: Pairs = ()  # instance attributes: the agent's environment
    meta: Pairs = ()  # timeout, timestamp-format, enabled


def _alerts(cib: Cib) -> tuple[Alert, ...]:
    return cib.configuration.alerts or ()


def _with_alerts(cib: Cib, alerts: tuple[Alert, ...]) -> Cib:
    return edit.with_config(cib, alerts=alerts)


def _only(values: dict[str, str], allowed: set[str], where: str) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ReportError([reports.error("INVALID_OPTION", option=unknown[0], where=where,
                                         allowed=", ".join(sorted(allowed)))])


def _path_warning(path: str) -> list[Report]:
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return []
    return [reports.warning("ALERT_AGENT_MISSING", path=path)]


def _new_id(cib: Cib, values: dict[str, str], taken: set[str], default: str) -> str:
    if "id" in values:
        problem = edit.id_problem(values["id"], "alert")
        if problem:
            raise ReportError([problem])
        if values["id"] in taken:
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=values["id"])])
        chosen = values["id"]
    else:
        chosen = edit.unique_id(taken, default)
    taken.add(chosen)
    return chosen


def _find(cib: Cib, alert_id: str) -> Alert:
    found = next((a for a in _alerts(cib) if a.id == alert_id), None)
    if found is None:
        raise ReportError([reports.error("ALERT_NOT_FOUND", id=alert_id,
                                         known=", ".join(a.id for a in _alerts(cib)) or "none")])
    return found


def create(env: CibEnvironment, spec: AlertSpec) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        values = dict(spec.values)
        _only(values, {"path", "id", "description"}, "an alert")
        path = values.get("path")
        if not path:
            raise ReportError([reports.error("ALERT_PATH_MISSING")])
        taken = edit.used_ids(cib)
        alert_id = _new_id(cib, values, taken, "alert")
        alert = Alert(id=alert_id, path=path, description=values.get("description"))
        alert = _set_attrs(alert, spec, alert_id, taken)
        out = _path_warning(path) + [reports.info("ALERT_CREATED", id=alert_id)]
        return _with_alerts(cib, (*_alerts(cib), alert)), out

    return edit.apply(env, change)


def _set_attrs(item: Alert, spec: AlertSpec, owner: str, taken: set[str]) -> Alert:
    return dataclasses.replace(
        item,
        instance_attributes=edit.set_pairs(item.instance_attributes, spec.options,
                                           set_id=f"{owner}-instance_attributes", taken=taken),
        meta_attributes=edit.set_pairs(item.meta_attributes, spec.meta,
                                       set_id=f"{owner}-meta_attributes", taken=taken))


def update(env: CibEnvironment, alert_id: str, spec: AlertSpec) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        old = _find(cib, alert_id)
        values = dict(spec.values)
        _only(values, {"path", "description"}, "an alert's update")
        new = dataclasses.replace(old, path=values.get("path", old.path),
                                  description=values.get("description", old.description) or None)
        new = _set_attrs(new, spec, alert_id, edit.used_ids(cib))
        out = _path_warning(new.path) if "path" in values else []
        return _with_alerts(cib, tuple(new if a.id == alert_id else a for a in _alerts(cib))), out

    return edit.apply(env, change)


def delete(env: CibEnvironment, alert_ids: Sequence[str]) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        for alert_id in alert_ids:
            _find(cib, alert_id)
        kept = tuple(a for a in _alerts(cib) if a.id not in alert_ids)
        return _with_alerts(cib, kept), [reports.info("ALERT_REMOVED", id=a) for a in alert_ids]

    return edit.apply(env, change)


def _set_recipient_attrs(r: Recipient, spec: AlertSpec, taken: set[str]) -> Recipient:
    return dataclasses.replace(
        r,
        instance_attributes=edit.set_pairs(r.instance_attributes, spec.options,
                                           set_id=f"{r.id}-instance_attributes", taken=taken),
        meta_attributes=edit.set_pairs(r.meta_attributes, spec.meta,
                                       set_id=f"{r.id}-meta_attributes", taken=taken))


def recipient_add(env: CibEnvironment, alert_id: str, spec: AlertSpec, *,
                  force: bool = False) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        alert = _find(cib, alert_id)
        values = dict(spec.values)
        _only(values, {"value", "id", "description"}, "a recipient")
        value = values.get("value")
        if not value:
            raise ReportError([reports.error("RECIPIENT_VALUE_MISSING")])
        out = [reports.unless_forced(force, "RECIPIENT_DUPLICATE", alert=alert_id, value=value)
               for r in alert.recipients if r.value == value]
        taken = edit.used_ids(cib)
        rid = _new_id(cib, values, taken, f"{alert_id}-recipient")
        r = _set_recipient_attrs(Recipient(rid, value, values.get("description")), spec, taken)
        new = dataclasses.replace(alert, recipients=(*alert.recipients, r))
        out.append(reports.info("RECIPIENT_CREATED", id=rid, alert=alert_id))
        return _with_alerts(cib, tuple(new if a.id == alert_id else a for a in _alerts(cib))), out

    return edit.apply(env, change)


def _owner(cib: Cib, recipient_id: str) -> Alert:
    found = next((a for a in _alerts(cib) if any(r.id == recipient_id for r in a.recipients)),
                 None)
    if found is None:
        raise ReportError([reports.error("RECIPIENT_NOT_FOUND", id=recipient_id)])
    return found


def recipient_update(env: CibEnvironment, recipient_id: str, spec: AlertSpec) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        alert = _owner(cib, recipient_id)
        values = dict(spec.values)
        _only(values, {"value", "description"}, "a recipient's update")
        taken = edit.used_ids(cib)
        recipients = []
        for r in alert.recipients:
            if r.id == recipient_id:
                r = dataclasses.replace(r, value=values.get("value", r.value) or r.value,
                                        description=values.get("description", r.description)
                                        or None)
                r = _set_recipient_attrs(r, spec, taken)
            recipients.append(r)
        new = dataclasses.replace(alert, recipients=tuple(recipients))
        return _with_alerts(cib, tuple(new if a.id == alert.id else a for a in _alerts(cib))), []

    return edit.apply(env, change)


def recipient_delete(env: CibEnvironment, recipient_ids: Sequence[str]) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        for rid in recipient_ids:
            _owner(cib, rid)
        alerts = tuple(dataclasses.replace(a, recipients=tuple(
            r for r in a.recipients if r.id not in recipient_ids)) for a in _alerts(cib))
        return _with_alerts(cib, alerts), [reports.info("RECIPIENT_REMOVED", id=r)
                                           for r in recipient_ids]

    return edit.apply(env, change)


def alerts(env: CibEnvironment) -> tuple[Alert, ...]:
    return _alerts(env.get_cib())

"""Alerts: agents the cluster runs when something happens (a node joins or is lost, a resource
operation ends, a node is fenced), each once per recipient, as Pacemaker's <alerts> says."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.nvset import NvSet
from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class Recipient:
    id: str
    value: str  # what the agent is given as CRM_alert_recipient (a file, an address...)
    description: str | None = None
    instance_attributes: tuple[NvSet, ...] = ()
    meta_attributes: tuple[NvSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class AlertSelect:
    """<select>: the kinds of event the alert is for (with no <select>, every kind); an empty
    `attributes` under select_attributes means every attribute."""

    nodes: bool = False
    fencing: bool = False
    resources: bool = False
    attributes: tuple[tuple[str, str], ...] | None = None  # (id, name) of each; None: not selected


@dataclass(frozen=True)
class Alert:
    id: str
    path: str
    description: str | None = None
    instance_attributes: tuple[NvSet, ...] = ()
    meta_attributes: tuple[NvSet, ...] = ()
    select: AlertSelect | None = None
    recipients: tuple[Recipient, ...] = ()
    extra: Extra = NO_EXTRA

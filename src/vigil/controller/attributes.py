"""Node attributes: attrd's rules (transient, private, dampened) and permanent ones.

Pure: events in, effects out. What each kind is, as in Pacemaker (runtime digest §6):

- transient (lifetime reboot): the status section's transient_attributes, set through attrd.
  Every replica applies the same `messages.Attribute` in agreed order. An attribute with a
  dampening (`--delay`) is held in attrd's memory (`State.attributes.pending`) and written to
  the CIB when the DC's timer for it fires (`messages.AttributeFlush`): changes that arrive
  within the delay, from any node, are written together; each change restarts the timer and
  changing the delay itself writes at once. A written change makes the DC plan again.
- private (`attrd_updater --private`): only in attrd's memory, replicated to every node, never
  in the CIB, no plan.
- permanent (lifetime forever), a node's utilization and cluster options: a configuration change
  (`messages.ConfigAttribute`): the epoch goes up, the CIB is persisted, the DC plans again.

A node's transient and private attributes go when it leaves (every replica drops its private
and pending ones at the view change; its status block is cleared with the DC's node states) or
restarts (its fresh join). A node announces its own values with each join: after a partition
its values win over what the replicas kept (attrd's "the local value wins").

Fail counts are transient attributes too; they are written with the operation result they
count (`replica._apply_result`, `status_edit.count_failure`), on the same status section.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from vigil.cib import status_edit
from vigil.cib.write import cib_element
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.state import Attributes, State
from vigil.model.cib import Cib
from vigil.model.cluster_options import DECIDING_PROPERTY_NAMES
from vigil.model.nvset import NvPair, NvSet
from vigil.model.score import INFINITY, add, format_score, parse_score
from vigil.model.version import CibVersion

SECTIONS = ("nodes", "utilization", "crm_config", "rsc_defaults", "op_defaults")
# the set a new option goes to when the section has none, as Pacemaker names them
DEFAULT_SET_IDS = {"crm_config": "cib-bootstrap-options", "rsc_defaults": "rsc-options",
                   "op_defaults": "op-options"}

# A node's shutdown request (`vigil cluster stop`, Pacemaker's `shutdown` attribute) lives as
# long as the vigild it was made to: that process holds it among its own values (`mine`) and
# announces it with every join. One the joining node does not announce was left by an earlier
# process (its last stop, kept by the others through a restart faster than they noticed) and is
# withdrawn, or the node would never take resources again. The join decides it, not the time
# the request was made: a stop given in the second the daemon started (CTS's PartialStart) is
# this process's own and must hold.
SHUTDOWN = "shutdown"

_INCREMENT = re.compile(r"^(?P<name>.+)(?:\+\+|\+=(?P<by>.+))$")


# -- requests from this node's clients -----------------------------------------------------------
def on_requested(s: Step, e: ev.AttributeRequested) -> None:
    value = e.value
    if value is not None:
        value = expand(value, e.name, attrd_value(s.state, e.node_id, e.name))
    s.send(m.Attribute(e.node_id, e.uname, e.name, value, e.private, e.delay_ms,
                       s.state.me, e.request_id))


def on_config_requested(s: Step, e: ev.ConfigAttributeRequested) -> None:
    s.send(m.ConfigAttribute(e.request_id, s.state.me, e.section, e.node_id, e.name, e.value,
                             e.set_id))


def expand(value: str, name: str, current: str | None) -> str:
    """attrd's `name++` and `name+=N` (N a score, maybe INFINITY) against the current value;
    any other value is taken as it is."""
    match = _INCREMENT.match(value)
    if match is None or match.group("name") != name:
        return value
    by = match.group("by")
    step = 1 if by is None else parse_score(by, 0)
    return format_score(min(add(parse_score(current, 0), step), INFINITY))


# -- what every replica applies ------------------------------------------------------------------
def apply(s: Step, msg: m.Attribute) -> None:
    attrs = s.state.attributes
    if msg.node_id == str(s.state.me) and not msg.private:
        mine = dict(attrs.mine)
        if msg.value is None:
            mine.pop(msg.name, None)
        else:
            mine[msg.name] = msg.value
        attrs = dataclasses.replace(attrs, mine=mine)
    if msg.private:
        private = {n: dict(v) for n, v in attrs.private.items()}
        values = private.setdefault(msg.node_id, {})
        if msg.value is None:
            values.pop(msg.name, None)
        else:
            values[msg.name] = msg.value
        _set(s, dataclasses.replace(attrs, private={n: v for n, v in private.items() if v}))
        _answer(s, msg)
        return
    before = attrs.delays_ms.get(msg.name, 0)
    delay = before if msg.delay_ms is None else max(0, msg.delay_ms)
    if delay != before:
        attrs = dataclasses.replace(attrs, delays_ms={**attrs.delays_ms, msg.name: delay})
    if delay == before and delay > 0 and msg.value == attrd_values(
            s.state.cib, attrs, msg.node_id).get(msg.name):
        # the value attrd has already: no change, the timer is not restarted (a value set
        # again and again, as pingd does, must not hold a change back forever)
        _answer(s, msg)
        return
    pending = {**attrs.pending.get(msg.name, {}), msg.node_id: (msg.uname, msg.value)}
    attrs = dataclasses.replace(attrs, pending={**attrs.pending, msg.name: pending})
    _set(s, attrs)
    if delay == 0 or delay != before:
        # no dampening, or the dampening changed: written at once, with what was held
        _write(s, (msg.name,))
    elif s.state.is_dc:
        _set(s, dataclasses.replace(s.state.attributes, due={
            **s.state.attributes.due, msg.name: s.now + delay / 1000}))
        _arm(s)
    _answer(s, msg)


def apply_flush(s: Step, msg: m.AttributeFlush) -> None:
    _write(s, msg.names)


def apply_config(s: Step, msg: m.ConfigAttribute) -> None:
    mine = msg.origin == s.state.me
    cib = s.state.cib
    if msg.section in ("nodes", "utilization"):
        node = next((n for n in cib.configuration.nodes if n.id == msg.node_id), None)
        if node is None:
            if mine:
                s.effects.append(fx.Answer(msg.request_id, False, code="NODE_NOT_FOUND"))
            return
        if msg.section == "nodes":
            sets = set_value(node.instance_attributes, msg.name, msg.value,
                             set_id=msg.set_id or f"nodes-{node.id}", taken=_ids(cib),
                             only_set=msg.set_id)
            new_node = dataclasses.replace(node, instance_attributes=sets)
        else:
            sets = set_value(node.utilization, msg.name, msg.value,
                             set_id=msg.set_id or f"nodes-{node.id}-utilization",
                             taken=_ids(cib), only_set=msg.set_id)
            new_node = dataclasses.replace(node, utilization=sets)
        nodes = tuple(new_node if n.id == node.id else n for n in cib.configuration.nodes)
        config = dataclasses.replace(cib.configuration, nodes=nodes)
    elif msg.section in DEFAULT_SET_IDS:
        sets = set_value(_option_sets(cib, msg.section), msg.name, msg.value,
                         set_id=msg.set_id or DEFAULT_SET_IDS[msg.section], taken=_ids(cib),
                         only_set=msg.set_id)
        if msg.section == "crm_config":
            config = dataclasses.replace(cib.configuration, properties=sets)
        elif msg.section == "rsc_defaults":
            config = dataclasses.replace(cib.configuration, rsc_defaults=sets)
        else:
            config = dataclasses.replace(cib.configuration, op_defaults=sets)
    else:
        if mine:
            s.effects.append(fx.Answer(msg.request_id, False, code="IPC_BAD_REQUEST"))
        return
    if config != cib.configuration:
        v = cib.version
        cib = dataclasses.replace(cib, configuration=config,
                                  version=CibVersion(v.admin_epoch, v.epoch + 1, 0))
        s.set_cib(cib, persist=True)
        s.emit("config", version=list(cib.version.as_tuple()))
        if msg.section != "crm_config" or msg.name in DECIDING_PROPERTY_NAMES:
            s.abort("configuration changed")
        # else an agent's own state kept in crm_config (ocf:heartbeat:redis's master's name):
        # nothing the cluster decides reads it, and aborting would redo the transition's
        # notifications and delay its promotions (seconds, in a failover)
    if mine:
        s.effects.append(fx.Answer(msg.request_id, True, version=cib.version.as_tuple()))


def apply_join(s: Step, msg: m.NodeHistory) -> None:
    """A node's join: its own private attributes replace what the replicas held for it, and its
    own transient attributes are written again (its values win). A shutdown request it does not
    announce is withdrawn: see SHUTDOWN."""
    node_id = str(msg.node)
    attrs = s.state.attributes
    private = {n: v for n, v in attrs.private.items() if n != node_id}
    if msg.private:
        private[node_id] = dict(msg.private)
    _set(s, dataclasses.replace(attrs, private=private))
    cib = s.state.cib
    for name, value in msg.attributes:
        cib = status_edit.set_transient(cib, node_id, msg.uname, name, value)
    if SHUTDOWN not in dict(msg.attributes):
        cib = status_edit.set_transient(cib, node_id, msg.uname, SHUTDOWN, None)
    if cib is not s.state.cib:
        s.set_cib(status_edit.bump_updates(cib), persist=False)


def not_ready(s: Step, msg: m.Attribute | m.ConfigAttribute) -> None:
    """A replica not in step drops the message (as everyone does); its origin says so."""
    if msg.origin == s.state.me and msg.request_id:
        s.effects.append(fx.Answer(msg.request_id, False, code="CIB_NOT_READY"))


# -- views, timers ---------------------------------------------------------------------------
def on_view(s: Step, members: tuple[int, ...]) -> None:
    """A new view: what was held back is written now (the DC that timed it may be gone), and
    the values of nodes that left are forgotten."""
    keep = {str(n) for n in members}
    attrs = s.state.attributes
    pending = {name: {n: v for n, v in values.items() if n in keep}
               for name, values in attrs.pending.items()}
    private = {n: v for n, v in attrs.private.items() if n in keep}
    _set(s, dataclasses.replace(attrs, pending=pending, private=private, due={}))
    _write(s, tuple(pending), plan=False)


def on_timer(s: Step) -> None:
    attrs = s.state.attributes
    if not s.state.is_dc or not s.state.view.synced:
        _set(s, dataclasses.replace(attrs, due={}))
        return
    names = tuple(sorted(n for n, when in attrs.due.items() if when <= s.now))
    _set(s, dataclasses.replace(attrs, due={n: w for n, w in attrs.due.items() if n not in names}))
    if names:
        s.send(m.AttributeFlush(names))
    _arm(s)


def join_announcement(state: State) -> tuple[tuple[tuple[str, str], ...],
                                             tuple[tuple[str, str], ...]]:
    """(transient, private) attributes this node announces with its join."""
    attrs = state.attributes
    own = attrs.private.get(str(state.me), {})
    return tuple(sorted(attrs.mine.items())), tuple(sorted(own.items()))


# -- reads (the daemon answers its clients with these) -----------------------------------------
def attrd_value(state: State, node_id: str, name: str) -> str | None:
    """What attrd answers (attrd_updater --query): its memory first (a dampened change not yet
    written, a private attribute), then the status section."""
    return attrd_values(state.cib, state.attributes, node_id).get(name)


def attrd_values(cib: Cib, attrs: Attributes, node_id: str) -> dict[str, str]:
    """Every value attrd holds for a node: the status section's, its private ones, and the
    dampened changes not yet written (a deletion held back hides the written value)."""
    out = transient_values(cib, node_id)
    out.update(attrs.private.get(node_id, {}))
    for name, held in attrs.pending.items():
        if node_id in held:
            value = held[node_id][1]
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
    return out


def transient_values(cib: Cib, node_id: str) -> dict[str, str]:
    """A node's transient attributes as the status section has them (crm_attribute -l reboot)."""
    out: dict[str, str] = {}
    for st in cib.status:
        if st.id == node_id:
            for nvset in st.transient_attributes:
                for pair in nvset.pairs:
                    if pair.value is not None:
                        out.setdefault(pair.name, pair.value)
    return out


def permanent_values(cib: Cib, node_id: str, set_id: str | None = None) -> dict[str, str]:
    """A node's permanent attributes (crm_attribute -l forever), rules not evaluated."""
    for node in cib.configuration.nodes:
        if node.id == node_id:
            return _values(node.instance_attributes, set_id)
    return {}


def utilization_values(cib: Cib, node_id: str, set_id: str | None = None) -> dict[str, str]:
    """A node's utilization (crm_attribute -z)."""
    for node in cib.configuration.nodes:
        if node.id == node_id:
            return _values(node.utilization, set_id)
    return {}


def option_values(cib: Cib, section: str, set_id: str | None = None) -> dict[str, str]:
    """Cluster options of `section` (crm_config, rsc_defaults, op_defaults)."""
    return _values(_option_sets(cib, section), set_id)


def config_pair_ids(cib: Cib, section: str, node_id: str | None,
                    set_id: str | None = None) -> dict[str, str]:
    """name -> the XML id of the nvpair each value of a configuration section comes from
    ("nodes", "utilization": of `node_id`; or an options section)."""
    if section in ("nodes", "utilization"):
        node = next((n for n in cib.configuration.nodes if n.id == node_id), None)
        if node is None:
            return {}
        sets = node.instance_attributes if section == "nodes" else node.utilization
    else:
        sets = _option_sets(cib, section)
    out: dict[str, str] = {}
    for nvset in sets:
        if set_id is None or nvset.id == set_id:
            for pair in nvset.pairs:
                if pair.value is not None:
                    out.setdefault(pair.name, pair.id)
    return out


def _option_sets(cib: Cib, section: str) -> tuple[NvSet, ...]:
    config = cib.configuration
    return {"crm_config": config.properties, "rsc_defaults": config.rsc_defaults,
            "op_defaults": config.op_defaults}.get(section, ())


def _values(sets: tuple[NvSet, ...], set_id: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for nvset in sets:
        if set_id is not None and nvset.id != set_id:
            continue
        for pair in nvset.pairs:
            if pair.value is not None:
                out.setdefault(pair.name, pair.value)
    return out


# -- editing name/value sets ---------------------------------------------------------------------
def set_value(sets: tuple[NvSet, ...], name: str, value: str | None, *, set_id: str,
              taken: set[str], only_set: str | None = None) -> tuple[NvSet, ...]:
    """`name` set to `value` (None: removed) in the sets without rules (only `only_set` if
    given): changed where it is, else added to the first such set (`set_id` made if none)."""
    def eligible(nvset: NvSet) -> bool:
        return nvset.rule is None and nvset.ref is None and (only_set is None
                                                             or nvset.id == only_set)

    out = list(sets)
    holders = [i for i, nv in enumerate(out) if eligible(nv) and nv.get(name) is not None]
    if value is None:
        for i in holders:
            out[i] = dataclasses.replace(out[i], pairs=tuple(
                p for p in out[i].pairs if p.name != name))
        return tuple(nv for nv in out if nv.pairs or nv.extra.children or not eligible(nv))
    if holders:
        i = holders[0]
        out[i] = dataclasses.replace(out[i], pairs=tuple(
            dataclasses.replace(p, value=value) if p.name == name else p for p in out[i].pairs))
        return tuple(out)
    target = next((i for i, nv in enumerate(out) if eligible(nv)), None)
    if target is None:
        out.append(NvSet(id=_unique(taken, set_id), pairs=()))
        target = len(out) - 1
    nvset = out[target]
    pair = NvPair(_unique(taken, f"{nvset.id}-{name}"), name, value)
    out[target] = dataclasses.replace(nvset, pairs=(*nvset.pairs, pair))
    return tuple(out)


def _ids(cib: Cib) -> set[str]:
    config = cib_element(dataclasses.replace(cib, status=())).find("configuration")
    if config is None:
        return set()
    return {el.get("id", "") for el in config.iter() if el.get("id-ref") is None} - {""}


def _unique(taken: set[str], wanted: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", wanted)
    if not re.match(r"[A-Za-z_]", base):
        base = f"_{base}"
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


# -- helpers -----------------------------------------------------------------------------------
def _set(s: Step, attrs: Attributes) -> None:
    s.state = dataclasses.replace(s.state, attributes=attrs)


def _answer(s: Step, msg: m.Attribute) -> None:
    if msg.origin == s.state.me and msg.request_id:
        s.effects.append(fx.Answer(msg.request_id, True,
                                   version=s.state.cib.version.as_tuple()))


def _arm(s: Step) -> None:
    due = s.state.attributes.due
    if due:
        s.effects.append(fx.SetTimer(ev.Timer.ATTRIBUTES, max(0.0, min(due.values()) - s.now)))


def _write(s: Step, names: tuple[str, ...], *, plan: bool = True) -> None:
    """Write the held values of `names` to the status section."""
    attrs = s.state.attributes
    cib = s.state.cib
    for name in names:
        for node_id, (uname, value) in sorted(attrs.pending.get(name, {}).items()):
            if value is None and status_edit.transient_value(cib, node_id, name) is None:
                continue  # nothing to delete (and no status block to make for it)
            cib = status_edit.set_transient(cib, node_id, uname, name, value)
    pending: Mapping[str, Mapping[str, tuple[str, str | None]]] = {
        n: v for n, v in attrs.pending.items() if n not in names}
    _set(s, dataclasses.replace(attrs, pending=pending,
                                due={n: w for n, w in attrs.due.items() if n not in names}))
    if cib is not s.state.cib:
        s.set_cib(status_edit.bump_updates(cib), persist=False)
        if plan:
            s.abort("attribute changed")


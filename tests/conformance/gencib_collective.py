#!/usr/bin/env python3
"""Random CIBs with groups, clones and promotable clones, for vigil's differential test.

The shared generator (shared/conformance/harness/gencib.py) writes Dummy primitives only. This one
writes the collective resources of issue 10 (stdlib only), each CIB valid for `crm_verify -x`:

- top-level units: Dummy primitives, groups of Dummy, anonymous and globally-unique clones of a
  Dummy or of a group, promotable clones of ocf:pacemaker:Stateful (promoted-max, promoted-node-max,
  clone-max, notify, interleave, on-fail=demote on the promoted monitor; sometimes the legacy
  master-max name or a <master> element) and,
  rarely, promotable clones of a group of Stateful members;
- promotion scores as master-<primitive> node attributes: transient (status) and permanent (nodes);
- status histories: instances stopped, started (Unpromoted), promoted (a promote, or a probe that
  found rc 8, with the role=Promoted monitor returning rc 8), demoted, failed promoted monitors (rc 9)
  and failed monitors/starts with their fail-counts, negative probes;
- constraints between units: location (role=Promoted/Unpromoted on promotable ones), colocation
  (rsc-role/with-rsc-role, also the legacy Master/Slave names), order (first-action/then-action
  start/stop/promote/demote, Optional, asymmetrical); colocations point from a later to an earlier
  unit and orders from an earlier to a later one, so neither forms a cycle;
- stickiness, migration-threshold, standby/offline nodes, fencing (with unclean nodes) sometimes,
  no quorum with no-quorum-policy stop or demote sometimes.

The same --seed gives the same CIBs. Usage:
  gencib_collective.py --out DIR --count 250 --nodes 2-5 --units 1-6 --seed 1
  gencib_collective.py --out DIR --count 250 --verify     # redraw any CIB crm_verify rejects
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

SCORES_LOC = ["-INFINITY", "-100", "-10", "10", "50", "100", "200", "INFINITY"]
SCORES_COLOC = ["-INFINITY", "-500", "-100", "100", "500", "INFINITY"]
SCORES_PROMOTION = ["-INFINITY", "0", "1", "5", "10", "10", "100", "1000", "INFINITY"]
STICKY = ["0", "1", "50", "100", "INFINITY"]
ROLES = ["Started", "Promoted", "Unpromoted"]
LEGACY_ROLE = {"Promoted": "Master", "Unpromoted": "Slave"}
# measured: crm_simulate records these for parameterless Dummy/Stateful (feature set 3.16.1)
DIGEST_NOPARAMS = "f2317cad3d54cec5d7d7aa7d0bf35cf8"   # start/stop/promote/demote/probe
DIGEST_MONITOR = "4811cef7f7f94e3a35a70be7916cb2fd"    # any recurring monitor without params
FEATURE_SET = "3.16.1"
T0 = 1700000000
UUID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
MON = 10000            # Dummy's monitor, and Stateful's role=Promoted monitor
MON_UNPROMOTED = 11000  # Stateful's role=Unpromoted monitor

KINDS = ["primitive", "group", "clone", "clone-group", "promotable", "promotable-group"]
KIND_WEIGHTS = [0.22, 0.14, 0.16, 0.08, 0.34, 0.06]


@dataclass
class Unit:
    """One top-level resource of the CIB and what the generator needs to write its history."""

    id: str
    kind: str
    members: list[str]                      # primitive ids (one, or the group's members)
    unique: bool = False
    clone_max: int = 1
    clone_node_max: int = 1
    promoted_max: int = 0
    promoted_node_max: int = 0
    on_fail_demote: bool = False            # the role=Promoted monitor has on-fail=demote
    meta: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cloned(self) -> bool:
        return self.kind not in ("primitive", "group")

    @property
    def promotable(self) -> bool:
        return self.kind.startswith("promotable")

    @property
    def interleave(self) -> bool:
        return ("interleave", "true") in self.meta

    @property
    def agent(self) -> str:
        return "Stateful" if self.promotable else "Dummy"


@dataclass(frozen=True)
class Options:
    p_running: float = 0.65
    p_promoted: float = 0.45
    p_fail: float = 0.12
    p_probe: float = 0.3
    p_meta: float = 0.3
    p_standby: float = 0.1
    p_offline: float = 0.1
    p_fencing: float = 0.25
    p_unclean: float = 0.1
    p_noquorum: float = 0.05
    p_optin: float = 0.07
    p_score: float = 0.6
    p_permanent: float = 0.2
    loc: float = 0.8
    coloc: float = 0.45
    order: float = 0.45


def sub(parent: ET.Element, tag: str, **attrs: object) -> ET.Element:
    return ET.SubElement(parent, tag, {"class" if k == "class_" else k: str(v) for k, v in attrs.items()})


def xml_id(text: str) -> str:
    return text.replace(":", "-").replace("#", ".")


def nvset(parent: ET.Element, tag: str, set_id: str, pairs: list[tuple[str, str]]) -> ET.Element:
    s = ET.SubElement(parent, tag, id=set_id)
    for name, value in pairs:
        ET.SubElement(s, "nvpair", id=xml_id(f"{set_id}-{name}"), name=name, value=str(value))
    return s


def lrm_op(lrm_rsc: ET.Element, rsc: str, op: str, interval: int, rc: int, call_id: int, *,
           target_rc: int = 0, suffix: str | None = None) -> ET.Element:
    """One <lrm_rsc_op>, encoded the way crm_simulate and the controller record it."""
    key = f"{rsc}_{op}_{interval}"
    tkey = f"{call_id}:-1:{target_rc}:{UUID}"
    return ET.SubElement(lrm_rsc, "lrm_rsc_op", {
        "id": suffix or key, "operation_key": key, "operation": op,
        "crm-debug-origin": "gencib_collective", "crm_feature_set": FEATURE_SET,
        "transition-key": tkey, "transition-magic": f"0:{rc};{tkey}",
        "exit-reason": "" if rc in (0, 7, 8) else "generated failure",
        "call-id": str(call_id), "rc-code": str(rc), "op-status": "0", "interval": str(interval),
        "last-rc-change": str(T0 + call_id), "exec-time": "0", "queue-time": "0",
        "op-digest": DIGEST_MONITOR if interval else DIGEST_NOPARAMS})


def rng_range(spec: str, rnd: random.Random) -> int:
    lo, _, hi = spec.partition("-")
    return rnd.randint(int(lo), int(hi or lo))


def role_name(role: str, rnd: random.Random) -> str:
    """Promoted/Unpromoted, or now and then the legacy Master/Slave Pacemaker still reads."""
    return LEGACY_ROLE[role] if role in LEGACY_ROLE and rnd.random() < 0.15 else role


def make_units(rnd: random.Random, n_units: int, n_nodes: int) -> list[Unit]:
    units = []
    for k in range(1, n_units + 1):
        kind = rnd.choices(KINDS, KIND_WEIGHTS)[0]
        if kind == "primitive":
            units.append(Unit(f"r{k}", kind, [f"r{k}"]))
            continue
        if kind == "group":
            size = rnd.randint(2, 3)
            units.append(Unit(f"g{k}", kind, [f"g{k}-{m}" for m in range(1, size + 1)]))
            continue
        prefix = "ms" if kind.startswith("promotable") else "c"
        uid = f"{prefix}{k}"
        if kind.endswith("group"):
            members = [f"{uid}-{m}" for m in range(1, rnd.randint(2, 3) + 1)]
        else:
            members = [f"{uid}-r"]
        unit = Unit(uid, kind, members)
        unit.unique = rnd.random() < (0.25 if kind == "clone" else 0.08 if kind == "promotable" else 0.0)
        meta: list[tuple[str, str]] = []
        if kind.startswith("promotable"):
            unit.promoted_max = rnd.choice([1, 1, 1, 2])
            unit.promoted_node_max = 1
            meta.append(("promotable", "true"))
            if unit.promoted_max != 1 or rnd.random() < 0.3:
                meta.append(("master-max" if rnd.random() < 0.15 else "promoted-max", str(unit.promoted_max)))
            if rnd.random() < 0.1:
                meta.append(("promoted-node-max", "1"))
        if rnd.random() < 0.35 or unit.unique:
            unit.clone_max = rnd.randint(1, n_nodes + (1 if unit.unique else 0))
            meta.append(("clone-max", str(unit.clone_max)))
        else:
            unit.clone_max = n_nodes
        if unit.unique:
            meta.append(("globally-unique", "true"))
            unit.clone_node_max = rnd.choice([1, 2])
            if unit.clone_node_max > 1:
                meta.append(("clone-node-max", str(unit.clone_node_max)))
                if unit.promotable and rnd.random() < 0.5:
                    unit.promoted_node_max = 2
                    meta = [m for m in meta if m[0] != "promoted-node-max"] + [("promoted-node-max", "2")]
        unit.promoted_max = min(unit.promoted_max, unit.clone_max) if unit.promotable else 0
        unit.on_fail_demote = unit.promotable and rnd.random() < 0.12
        if rnd.random() < 0.3:
            meta.append(("notify", "true"))
        if rnd.random() < 0.3:
            meta.append(("interleave", "true"))
        unit.meta = meta
        units.append(unit)
    return units


def write_resources(rnd: random.Random, xr: ET.Element, units: list[Unit], o: Options) -> None:
    def primitive(parent: ET.Element, pid: str, agent: str, on_fail_demote: bool = False) -> None:
        p = sub(parent, "primitive", id=pid, class_="ocf", provider="pacemaker", type=agent)
        meta: list[tuple[str, str]] = []
        if rnd.random() < o.p_meta / 2:
            meta.append(("resource-stickiness", rnd.choice(STICKY)))
        if rnd.random() < o.p_meta / 2:
            meta.append(("migration-threshold", str(rnd.randint(1, 3))))
        if meta:
            nvset(p, "meta_attributes", f"{pid}-meta", meta)
        ops = sub(p, "operations")
        if agent == "Stateful":
            extra = {"on-fail": "demote"} if on_fail_demote else {}
            sub(ops, "op", id=f"{pid}-monitor-promoted", name="monitor", interval="10s", role="Promoted",
                **extra)
            sub(ops, "op", id=f"{pid}-monitor-unpromoted", name="monitor", interval="11s", role="Unpromoted")
        else:
            sub(ops, "op", id=f"{pid}-monitor-10s", name="monitor", interval="10s")

    for unit in units:
        if unit.kind == "primitive":
            primitive(xr, unit.id, unit.agent)
            continue
        legacy_master = unit.kind == "promotable" and rnd.random() < 0.08
        holder = sub(xr, "master" if legacy_master else "clone", id=unit.id) if unit.cloned else xr
        meta = [m for m in unit.meta if not (legacy_master and m[0] == "promotable")]
        if unit.cloned:
            if rnd.random() < o.p_meta / 2:
                meta.append(("resource-stickiness", rnd.choice(STICKY)))
            if rnd.random() < 0.04:
                meta.append(("target-role", rnd.choice(["Stopped", "Unpromoted"]
                                                       if unit.promotable else ["Stopped"])))
            if meta:
                nvset(holder, "meta_attributes", f"{unit.id}-meta", meta)
        if unit.kind in ("group", "clone-group", "promotable-group"):
            gid = unit.id if unit.kind == "group" else f"{unit.id}-g"
            g = sub(holder, "group", id=gid)
            if unit.kind == "group" and rnd.random() < 0.05:
                nvset(g, "meta_attributes", f"{gid}-meta", [("target-role", "Stopped")])
            for m in unit.members:
                primitive(g, m, unit.agent, unit.on_fail_demote)
        else:
            primitive(holder, unit.members[0], unit.agent, unit.on_fail_demote)


def write_constraints(rnd: random.Random, cons: ET.Element, units: list[Unit], nodes: list[str],
                      o: Options) -> None:
    seen: set[tuple[object, ...]] = set()
    n = len(units)
    for _ in range(int(o.loc * n + rnd.random())):
        u, node = rnd.choice(units), rnd.choice(nodes)
        role = rnd.choice(["Promoted", "Promoted", "Unpromoted", None]) if u.promotable else None
        if rnd.random() < 0.4:
            role = None
        if ("l", u.id, node, role) in seen:
            continue
        seen.add(("l", u.id, node, role))
        kw = {"role": role_name(role, rnd)} if role else {}
        sub(cons, "rsc_location", id=f"loc-{u.id}-{node}" + (f"-{role}" if role else ""), rsc=u.id,
            node=node, score=rnd.choice(SCORES_LOC), **kw)
    if n < 2:
        return
    for _ in range(int(o.coloc * n + rnd.random())):
        i, j = sorted(rnd.sample(range(n), 2), reverse=True)
        if ("c", i, j) in seen:
            continue
        seen.add(("c", i, j))
        a, b = units[i], units[j]
        if a.cloned and b.cloned and a.interleave and a.clone_node_max != b.clone_node_max:
            continue        # Pacemaker cannot interleave clones of different clone-node-max
        kw = {}
        if a.promotable and rnd.random() < 0.6:
            kw["rsc-role"] = role_name(rnd.choice(ROLES), rnd)
        if b.promotable and rnd.random() < 0.7:
            kw["with-rsc-role"] = role_name(rnd.choice(ROLES), rnd)
        sub(cons, "rsc_colocation", id=f"col-{a.id}-{b.id}", rsc=a.id, score=rnd.choice(SCORES_COLOC),
            **{"with-rsc": b.id}, **kw)
    for _ in range(int(o.order * n + rnd.random())):
        i, j = sorted(rnd.sample(range(n), 2))
        if ("o", i, j) in seen:
            continue
        seen.add(("o", i, j))
        a, b = units[i], units[j]
        kw = {}
        if a.promotable and rnd.random() < 0.6:
            kw["first-action"] = rnd.choice(["start", "promote", "promote", "demote", "stop"])
        if b.promotable and rnd.random() < 0.6:
            kw["then-action"] = rnd.choice(["start", "promote", "promote", "demote", "stop"])
        if rnd.random() < 0.25:
            kw["kind"] = "Optional"
        if rnd.random() < 0.15:
            kw["symmetrical"] = "false"
        sub(cons, "rsc_order", id=f"ord-{a.id}-{b.id}", first=a.id, then=b.id, **kw)


class History:
    """The status section being written: lrm_resource elements and transient attributes per node."""

    def __init__(self, nodes: list[str]) -> None:
        self.lrms: dict[tuple[str, str], ET.Element] = {}
        self.order: list[tuple[str, str]] = []
        self.attrs: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
        self.calls = {n: 0 for n in nodes}

    def lrm_rsc(self, node: str, rid: str, agent: str) -> ET.Element:
        key = (node, rid)
        if key not in self.lrms:
            self.lrms[key] = ET.Element("lrm_resource", {"id": rid, "type": agent, "class": "ocf",
                                                         "provider": "pacemaker"})
            self.order.append(key)
        return self.lrms[key]

    def call(self, node: str) -> int:
        self.calls[node] += 1
        return self.calls[node]

    def has(self, node: str, rid: str) -> bool:
        return (node, rid) in self.lrms


def run_instance(rnd: random.Random, h: History, node: str, rid: str, agent: str, role: str,
                 o: Options) -> None:
    """Record one primitive (or clone instance) active on node: role Started, Unpromoted or Promoted."""
    lr = h.lrm_rsc(node, rid, agent)
    fail_key = f"{rid}#monitor_{MON}"
    if role == "Promoted":
        if rnd.random() < 0.25:          # found promoted by a probe (e.g. after a restart of the node)
            lrm_op(lr, rid, "monitor", 0, 8, h.call(node), target_rc=7, suffix=f"{rid}_last_0")
        else:
            lrm_op(lr, rid, "start", 0, 0, h.call(node), suffix=f"{rid}_last_0")
            lr.remove(lr[-1])            # the promote replaces the start as the last operation
            h.call(node)
            lrm_op(lr, rid, "promote", 0, 0, h.call(node), suffix=f"{rid}_last_0")
        lrm_op(lr, rid, "monitor", MON, 8, h.call(node), target_rc=8)
        if rnd.random() < o.p_fail:      # failed promoted monitor
            lrm_op(lr, rid, "monitor", MON, 9, h.call(node), target_rc=8, suffix=f"{rid}_last_failure_0")
            h.attrs[node] += [(f"fail-count-{fail_key}", str(rnd.randint(1, 3))),
                              (f"last-failure-{fail_key}", str(T0))]
        return
    if role == "Unpromoted":
        last = "demote" if rnd.random() < 0.2 else "start"
        lrm_op(lr, rid, last, 0, 0, h.call(node), suffix=f"{rid}_last_0")
        lrm_op(lr, rid, "monitor", MON_UNPROMOTED, 0, h.call(node))
        if rnd.random() < o.p_fail / 2:
            key = f"{rid}#monitor_{MON_UNPROMOTED}"
            lrm_op(lr, rid, "monitor", MON_UNPROMOTED, 7, h.call(node), suffix=f"{rid}_last_failure_0")
            h.attrs[node] += [(f"fail-count-{key}", str(rnd.randint(1, 3))), (f"last-failure-{key}", str(T0))]
        return
    lrm_op(lr, rid, "start", 0, 0, h.call(node), suffix=f"{rid}_last_0")
    lrm_op(lr, rid, "monitor", MON, 0, h.call(node))
    if rnd.random() < o.p_fail:
        lrm_op(lr, rid, "monitor", MON, 1, h.call(node), suffix=f"{rid}_last_failure_0")
        h.attrs[node] += [(f"fail-count-{fail_key}", str(rnd.randint(1, 3))),
                          (f"last-failure-{fail_key}", str(T0))]


def failed_start(rnd: random.Random, h: History, node: str, rid: str, agent: str) -> None:
    lr = h.lrm_rsc(node, rid, agent)
    c = h.call(node)
    if rnd.random() < 0.7:              # already cleaned up by a stop
        lrm_op(lr, rid, "stop", 0, 0, h.call(node), suffix=f"{rid}_last_0")
    else:                               # fresh failure: needs recovery
        lrm_op(lr, rid, "start", 0, 1, c, suffix=f"{rid}_last_0")
    lrm_op(lr, rid, "start", 0, 1, c, suffix=f"{rid}_last_failure_0")
    h.attrs[node] += [(f"fail-count-{rid}#start_0", "INFINITY"), (f"last-failure-{rid}#start_0", str(T0))]


def write_history(rnd: random.Random, h: History, units: list[Unit], up: list[str], o: Options) -> None:
    for unit in units:
        if not unit.cloned:
            if rnd.random() < o.p_running:
                node = rnd.choice(up)
                members = unit.members
                if len(members) > 1 and rnd.random() < 0.2:      # a group partly started
                    members = members[:rnd.randint(1, len(members) - 1)]
                for m in members:
                    run_instance(rnd, h, node, m, unit.agent, "Started", o)
            continue
        # which instances run where
        slots = [(node, k) for node in up for k in range(unit.clone_node_max)]
        rnd.shuffle(slots)
        count = rnd.randint(0, min(unit.clone_max, len(slots))) if rnd.random() < o.p_running + 0.15 else 0
        chosen = sorted(slots[:count])
        numbers = rnd.sample(range(unit.clone_max), count) if unit.unique else [None] * count
        promoted_left = unit.promoted_max + (1 if rnd.random() < 0.15 else 0)   # now and then one too many
        for (node, _), number in zip(chosen, numbers, strict=True):
            role = "Started"
            if unit.promotable:
                role = "Unpromoted"
                if promoted_left > 0 and rnd.random() < o.p_promoted:
                    role, promoted_left = "Promoted", promoted_left - 1
            members = unit.members
            if len(members) > 1 and rnd.random() < 0.15:
                members = members[:rnd.randint(1, len(members) - 1)]
            for m in members:
                rid = m if number is None else f"{m}:{number}"
                if not h.has(node, rid):
                    run_instance(rnd, h, node, rid, unit.agent, role, o)
    for unit in units:                  # failed starts elsewhere, negative probes
        for m in unit.members:
            rids = [m] if not unit.unique else [f"{m}:{k}" for k in range(unit.clone_max)]
            for rid in rids:
                if rnd.random() < o.p_fail / 2:
                    node = rnd.choice(up)
                    if not h.has(node, rid):
                        failed_start(rnd, h, node, rid, unit.agent)
                for node in up:
                    if not h.has(node, rid) and rnd.random() < o.p_probe:
                        lrm_op(h.lrm_rsc(node, rid, unit.agent), rid, "monitor", 0, 7, h.call(node),
                               target_rc=7, suffix=f"{rid}_last_0")


def generate(rnd: random.Random, n_nodes: int, n_units: int, o: Options) -> str:
    nodes = [f"node{i}" for i in range(1, n_nodes + 1)]
    fencing = rnd.random() < o.p_fencing
    state = {}
    for node in nodes:                  # online / offline (clean) / unclean
        x = rnd.random()
        state[node] = ("offline" if x < o.p_offline else
                       "unclean" if fencing and x < o.p_offline + o.p_unclean else "online")
    if all(s != "online" for s in state.values()):
        state[rnd.choice(nodes)] = "online"
    quorum = "0" if rnd.random() < o.p_noquorum else "1"
    units = make_units(rnd, n_units, n_nodes)

    cib = ET.Element("cib", {"admin_epoch": "0", "epoch": "1", "num_updates": "1",
                             "validate-with": "pacemaker-3.7", "have-quorum": quorum,
                             "dc-uuid": str(1 + [state[n] for n in nodes].index("online"))})
    conf = sub(cib, "configuration")
    policy = "demote" if quorum == "0" and rnd.random() < 0.5 else "stop"
    props = [("stonith-enabled", "true" if fencing else "false"), ("no-quorum-policy", policy)]
    if rnd.random() < o.p_optin:
        props.append(("symmetric-cluster", "false"))
    nvset(sub(conf, "crm_config"), "cluster_property_set", "cib-bootstrap-options", props)

    # promotion scores: permanent (nodes section) and transient (status) master-<primitive> attributes
    permanent: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
    transient: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
    for unit in units:
        if not unit.promotable:
            continue
        for m in unit.members:
            for node in nodes:
                names = [f"master-{m}"]
                if unit.unique and rnd.random() < 0.5:
                    names = [f"master-{m}:{k}" for k in range(unit.clone_max) if rnd.random() < 0.5] or names
                for name in names:
                    if rnd.random() < o.p_permanent:
                        permanent[node].append((name, rnd.choice(SCORES_PROMOTION)))
                    if state[node] != "offline" and rnd.random() < o.p_score:
                        transient[node].append((name, rnd.choice(SCORES_PROMOTION)))

    xnodes = sub(conf, "nodes")
    for i, node in enumerate(nodes, 1):
        xn = sub(xnodes, "node", id=i, uname=node)
        pairs = list(permanent[node])
        if rnd.random() < o.p_standby:
            pairs.append(("standby", "on"))
        if pairs:
            nvset(xn, "instance_attributes", f"{node}-attrs", pairs)

    xr = sub(conf, "resources")
    if fencing:
        sub(xr, "primitive", id="fencer", class_="stonith", type="fence_dummy")
    write_resources(rnd, xr, units, o)
    write_constraints(rnd, sub(conf, "constraints"), units, nodes, o)
    if rnd.random() < 0.5:
        nvset(sub(conf, "rsc_defaults"), "meta_attributes", "rsc-options",
              [("resource-stickiness", rnd.choice(STICKY))])

    status = sub(cib, "status")
    h = History(nodes)
    up = [n for n in nodes if state[n] != "offline"]    # clean-offline nodes have no history
    write_history(rnd, h, units, up, o)
    for i, node in enumerate(nodes, 1):
        st = state[node]
        ns = sub(status, "node_state", id=i, uname=node, in_ccm="true" if st == "online" else "false",
                 crmd="online" if st == "online" else "offline",
                 join="member" if st == "online" else "down",
                 expected="down" if st == "offline" else "member")
        pairs = transient[node] + h.attrs[node]
        if pairs:
            nvset(sub(ns, "transient_attributes", id=i), "instance_attributes", f"status-{i}", pairs)
        rs = [h.lrms[key] for key in h.order if key[0] == node]
        if rs:
            sub(sub(ns, "lrm", id=i), "lrm_resources").extend(rs)
    ET.indent(cib)
    return ET.tostring(cib, encoding="unicode") + "\n"


def crm_verify_rejects(path: str) -> str | None:
    """crm_verify's complaint about the CIB at path, or None when it accepts it.

    Accepted: `crm_verify -x -V` exits 0, or exits 78 with "Warnings found" and no error. Its only
    warnings on these CIBs are about the unclean nodes the generator asks to fence on purpose
    ("will be fenced", "unrunnable (node is offline)"). Any "error:" line rejects the CIB, even with
    exit 0 (an instance running where it is banned, an anti-colocation Pacemaker cannot honour, a
    resource active on two nodes, Pacemaker's own internal errors)."""
    proc = subprocess.run(["crm_verify", "-x", path, "-V"], capture_output=True, text=True, timeout=60,
                          check=False)
    text = proc.stderr + proc.stdout
    errors = [line.strip() for line in text.splitlines() if "error:" in line or "Errors found" in line]
    if proc.returncode == 0 and not errors:
        return None
    if proc.returncode == 78 and "Warnings found" in text and not errors:
        return None
    return (errors[0] if errors else f"crm_verify exited {proc.returncode}: {text.strip()[:300]}")


def write_all(*, out: str, prefix: str, seed: int, count: int, nodes: str, units: str, o: Options,
              verify: bool = False) -> tuple[list[str], int]:
    """Write count CIBs; returns their paths and how many drafts crm_verify rejected (redrawn)."""
    os.makedirs(out, exist_ok=True)
    if verify and shutil.which("crm_verify") is None:
        raise SystemExit("gencib_collective.py: --verify needs crm_verify on PATH (pacemaker-cli-utils)")
    paths, rejected = [], 0
    for k in range(count):
        for attempt in range(20):
            rnd = random.Random(f"{seed}/{k}/{attempt}")
            n, m = rng_range(nodes, rnd), rng_range(units, rnd)
            path = os.path.join(out, f"{prefix}-s{seed}-{k:04d}-n{n}-u{m}.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(generate(rnd, n, m, o))
            if not verify or crm_verify_rejects(path) is None:
                break
            rejected += 1
            os.unlink(path)
        else:
            raise SystemExit(f"gencib_collective.py: crm_verify rejected 20 drafts of case {k} "
                             f"of seed {seed}")
        paths.append(path)
    return paths, rejected


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--nodes", default="2-5", help="N or MIN-MAX")
    p.add_argument("--units", default="1-6", help="top-level resources: N or MIN-MAX")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--prefix", default="coll")
    p.add_argument("--verify", action="store_true", help="redraw any CIB that crm_verify -x rejects")
    d = Options()
    for name, value in vars(d).items():
        p.add_argument("--" + name.replace("_", "-"), type=float, default=value)
    a = p.parse_args(argv)
    o = Options(**{name: getattr(a, name) for name in vars(d)})
    paths, rejected = write_all(out=a.out, prefix=a.prefix, seed=a.seed, count=a.count, nodes=a.nodes,
                                units=a.units, o=o, verify=a.verify)
    note = f" ({rejected} drafts rejected by crm_verify)" if a.verify else ""
    print(f"wrote {len(paths)} CIBs to {a.out}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

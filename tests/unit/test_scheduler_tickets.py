"""Tickets in the scheduler: rsc_ticket, the status's ticket_state, and each loss-policy.

Each case is a small hand-written CIB: two nodes, a fencing device, a primitive `web` and a
promotable clone `db-clone` (ocf:pacemaker:Stateful, promoted on node1), each tied to a ticket.
The expected Transition Summary of every case was checked with Pacemaker 2.1.5's crm_simulate
(`crm_simulate -x CASE.xml -R` on the CIB `cib_text` writes); the test checks vigil against
crm_simulate itself too when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.model.score import INFINITY
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _op(rsc: str, n: int, operation: str, rc: int, interval: int = 0, expected: int = 0) -> str:
    key = f"{n}:1:{expected}:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_rsc_op id="{rsc}_{operation}_{interval}_{n}" operation_key="{rsc}_{operation}_'
            f'{interval}" operation="{operation}" crm-debug-origin="t" crm_feature_set="3.16.2" '
            f'transition-key="{key}" transition-magic="0:{rc};{key}" on_node="x" call-id="{n}" '
            f'rc-code="{rc}" op-status="0" interval="{interval}" last-rc-change="1700000000" '
            f'exec-time="1" queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def _lrm(node: str, *, web: bool, db_role: str | None, fence: bool) -> str:
    rscs = []
    if fence:
        rscs.append('<lrm_resource id="fence" class="stonith" type="fence_dummy">'
                    f'{_op("fence", 1, "start", 0)}</lrm_resource>')
    if web:
        rscs.append('<lrm_resource id="web" class="ocf" provider="pacemaker" type="Dummy">'
                    f'{_op("web", 2, "start", 0)}</lrm_resource>')
    db_ops = [_op("db", 3, "start", 0)]
    if db_role == "Promoted":
        db_ops.append(_op("db", 4, "promote", 0))
    if db_role is not None:
        rscs.append('<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">'
                    f'{"".join(db_ops)}</lrm_resource>')
    return f'<lrm id="{node}"><lrm_resources>{"".join(rscs)}</lrm_resources></lrm>'


def cib_text(*, web_policy: str, db_policy: str, ticket: str | None,
             db_nodes: tuple[str, ...] = ("node1", "node2"), db_role: str = "Promoted") -> str:
    """`web` (running on node2) needs ticket T Started; `db-clone` (promoted on node1, running on
    `db_nodes`) needs T in `db_role`."""
    tickets = f"<tickets>{ticket}</tickets>" if ticket else ""
    roles = {"node1": "Promoted", "node2": "Unpromoted"}
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member">'
        f'{_lrm(n, web=n == "node2", db_role=roles[n] if n in db_nodes else None, fence=n == "node1")}'
        f'</node_state>'
        for n in ("node1", "node2"))
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_dummy"/>
      <primitive id="web" class="ocf" provider="pacemaker" type="Dummy"/>
      <clone id="db-clone">
        <meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful"/>
      </clone>
    </resources>
    <constraints>
      <rsc_location id="db-prefers-1" rsc="db-clone" role="Promoted" node="node1" score="10"/>
      <rsc_ticket id="web-needs-T" rsc="web" ticket="T" loss-policy="{web_policy}"/>
      <rsc_ticket id="db-needs-T" rsc="db-clone" rsc-role="{db_role}" ticket="T"
                  loss-policy="{db_policy}"/>
    </constraints>
  </configuration>
  <status>{states}{tickets}</status>
</cib>"""


GRANTED = '<ticket_state id="T" granted="true"/>'
REVOKED = '<ticket_state id="T" granted="false"/>'
STANDBY = '<ticket_state id="T" granted="true" standby="true"/>'

CASES = {
    # a granted ticket changes nothing
    "granted": (dict(web_policy="stop", db_policy="stop", ticket=GRANTED), set()),
    # stop: web stops; a Promoted-role need under stop stops the whole clone
    "revoked-stop": (dict(web_policy="stop", db_policy="stop", ticket=REVOKED),
                     {"Stop web", "Stop db:0", "Stop db:1"}),
    # no ticket_state at all: not granted
    "missing-stop": (dict(web_policy="stop", db_policy="demote", ticket=None),
                     {"Stop web", "Demote db:0"}),
    # demote: on the Started role it is stop; on Promoted, the promoted instance is demoted
    "revoked-demote": (dict(web_policy="demote", db_policy="demote", ticket=REVOKED),
                       {"Stop web", "Demote db:0"}),
    # fence: the nodes where the resource is active in the role are fenced; the clone's
    # freeze acts on promotion only, so its instance on the fenced node stops
    "revoked-fence": (dict(web_policy="fence", db_policy="freeze", ticket=REVOKED),
                      {"Fence node2", "Stop web", "Stop db:1"}),
    # freeze on the Promoted role: the promoted instance stays, a second one may still start
    "revoked-freeze-one-instance": (dict(web_policy="freeze", db_policy="freeze",
                                         ticket=REVOKED, db_nodes=("node1",)),
                                    {"Start db:1"}),
    # freeze on the Started role: a clone active somewhere starts no other instance
    "revoked-freeze-started-role": (dict(web_policy="freeze", db_policy="freeze",
                                         ticket=REVOKED, db_nodes=("node1",), db_role="Started"),
                                    set()),
    # freeze: what runs stays as it is
    "revoked-freeze": (dict(web_policy="freeze", db_policy="freeze", ticket=REVOKED), set()),
    # standby: give up gracefully whatever the policy, never fence or freeze
    "standby-fence": (dict(web_policy="fence", db_policy="fence", ticket=STANDBY),
                      {"Stop web", "Demote db:0"}),
    "standby-freeze": (dict(web_policy="freeze", db_policy="stop", ticket=STANDBY),
                       {"Stop web", "Stop db:0", "Stop db:1"}),
}


def _verbs(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    out = set()
    for item in t.summary:
        if item.verb == "Fence":
            out.add(f"Fence {item.resource}")
        elif item.verb in ("Stop", "Demote", "Start", "Promote", "Move", "Recover"):
            out.add(f"{item.verb} {item.resource}")
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_policy(name: str) -> None:
    kwargs, expected = CASES[name]
    assert _verbs(cib_text(**kwargs)) == expected


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    kwargs, expected = CASES[name]
    assert crm_oracle.verbs(cib_text(**kwargs), tmp_path / f"{name}.xml") == expected


def test_ticket_round_trips_and_explains() -> None:
    cib, _ = parse_cib(cib_text(web_policy="stop", db_policy="demote", ticket=STANDBY))
    again, _ = parse_cib(write_cib(cib))
    assert again == cib
    assert [t.id for t in cib.tickets] == ["T"] and cib.tickets[0].standby
    t = schedule(cib, NOW)
    web = next(a for a in t.allocations if a.resource == "web")
    assert web.next_node is None
    bans = [c for s in web.scores for c in s.contributions if c.kind == "ticket"]
    assert bans and all(c.value == -INFINITY for c in bans)
    assert "ticket T is in standby (rsc_ticket web-needs-T)" in bans[0].detail
    promoted = [a for a in t.allocations if a.next_role == "Promoted"]
    assert promoted == []

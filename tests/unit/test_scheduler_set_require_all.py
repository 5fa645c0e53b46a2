"""An ordered resource set with require-all=false: the next set may start once any one of its
members can (corpus: one-or-more-2, one-or-more-5)."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _cib(*, require_all: bool, disabled: tuple[str, ...]) -> Cib:
    def prim(name: str) -> str:
        meta = (f'<meta_attributes id="{name}-m"><nvpair id="{name}-tr" name="target-role" '
                f'value="Stopped"/></meta_attributes>' if name in disabled else "")
        return f'<primitive id="{name}" class="ocf" provider="pacemaker" type="Dummy">{meta}' \
               f'</primitive>'

    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/></nodes>
    <resources>{prim("A")}{prim("B")}{prim("C")}</resources>
    <constraints>
      <rsc_order id="o">
        <resource_set id="either" sequential="false"
          require-all="{'true' if require_all else 'false'}">
          <resource_ref id="A"/><resource_ref id="B"/>
        </resource_set>
        <resource_set id="after"><resource_ref id="C"/></resource_set>
      </rsc_order>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
      expected="member"/>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def _c(cib: Cib) -> tuple[str, bool, str | None]:
    (item,) = [i for i in schedule(cib, NOW).summary if i.resource == "C"]
    return item.verb, item.blocked, item.reason


def test_one_startable_member_is_enough() -> None:
    assert _c(_cib(require_all=False, disabled=("A",))) == ("Start", False, None)


def test_with_require_all_every_member_is_needed() -> None:
    assert _c(_cib(require_all=True, disabled=("A",))) == (
        "Start", True, "unrunnable A start")


def test_no_startable_member_blocks_the_next_set() -> None:
    assert _c(_cib(require_all=False, disabled=("A", "B"))) == (
        "Start", True, "unrunnable one-or-more:either")

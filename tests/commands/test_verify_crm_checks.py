"""`vigil verify` says what crm_verify counts against a configuration (commands.verify_pacemaker):
values Pacemaker cannot apply and replaces with its default (an on-fail its operation does not
allow, fencing asked for while it is disabled, an influence or order kind that is not one), a
colocation of two tags or templates (ignored whole), a recorded state of a remote node the
configuration no longer has. Each case is checked against crm_verify on the same file where it
is installed: exit 78 when vigil calls the configuration not valid, 0 when valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cibs import cib_text, running_on_node1

from vigil.commands import verify


def crm_verify_exit(path: Path) -> int | None:
    if shutil.which("crm_verify") is None:
        return None
    return subprocess.run(["crm_verify", "-x", str(path)], capture_output=True,
                          check=False).returncode


def verdict(tmp_path: Path, text: str) -> tuple[list[tuple[str, str]], bool]:
    """vigil verify's VERIFY_ findings (code and first field) and whether it calls the file
    valid, checked against crm_verify's exit."""
    path = tmp_path / "cib.xml"
    path.write_text(text)
    found = verify.verify_file(str(path), corosync_conf=None)
    oracle = crm_verify_exit(path)
    if oracle is not None:
        assert oracle == (0 if found.valid else 78), found.reports
    return [(r.code, r.fields[0][1]) for r in found.reports if r.code.startswith("VERIFY_")], \
        found.valid


def dummy(rsc: str, ops: str = "", meta: str = "") -> str:
    return (f'<primitive id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">{meta}'
            f'<operations><op id="{rsc}-mon" name="monitor" interval="10s"/>{ops}</operations>'
            '</primitive>')


def stop_op(on_fail: str) -> str:
    return f'<op id="A-stop" name="stop" interval="0" on-fail="{on_fail}"/>'


# -- on-fail -------------------------------------------------------------------------------------
@pytest.mark.parametrize("on_fail", ["stop", "standby", "demote"])
def test_an_on_fail_a_stop_does_not_allow(tmp_path: Path, on_fail: str) -> None:
    # A runs on node1: crm_verify schedules its stop, and says it then
    text = cib_text(dummy("A", stop_op(on_fail)), status1=running_on_node1("A"))
    assert verdict(tmp_path, text) == ([("VERIFY_ON_FAIL_NOT_ALLOWED", "A")], False)


@pytest.mark.parametrize("on_fail", ["block", "ignore", "restart"])
def test_what_a_stop_allows(tmp_path: Path, on_fail: str) -> None:
    text = cib_text(dummy("A", stop_op(on_fail)), status1=running_on_node1("A"))
    assert verdict(tmp_path, text) == ([], True)


def test_on_fail_in_the_operations_meta_attributes(tmp_path: Path) -> None:
    op = ('<op id="A-stop" name="stop" interval="0"><meta_attributes id="A-stop-m">'
          '<nvpair id="A-stop-of" name="on-fail" value="stop"/></meta_attributes></op>')
    text = cib_text(dummy("A", op), status1=running_on_node1("A"))
    assert verdict(tmp_path, text) == ([("VERIFY_ON_FAIL_NOT_ALLOWED", "A")], False)


def test_demote_only_for_a_promote_or_a_promoted_monitor(tmp_path: Path) -> None:
    start = '<op id="A-start" name="start" interval="0" on-fail="demote"/>'
    text = cib_text(dummy("A", start), status1=running_on_node1("A"))
    assert verdict(tmp_path, text) == ([("VERIFY_ON_FAIL_NOT_ALLOWED", "A")], False)
    allowed = ('<clone id="C"><meta_attributes id="C-m"><nvpair id="C-p" name="promotable" '
               'value="true"/></meta_attributes><primitive id="S" class="ocf" '
               'provider="pacemaker" type="Stateful"><operations>'
               '<op id="S-promote" name="promote" interval="0" on-fail="demote"/>'
               '<op id="S-mon-p" name="monitor" interval="10s" role="Promoted" on-fail="demote"/>'
               '<op id="S-mon-u" name="monitor" interval="11s" role="Unpromoted"/>'
               '</operations></primitive></clone>')
    assert verdict(tmp_path, cib_text(allowed)) == ([], True)


def test_said_of_the_configuration_whatever_the_status(tmp_path: Path) -> None:
    """crm_verify says it only once it schedules the operation (A active, its stop possible);
    vigil says it of the configuration: A not running changes nothing."""
    path = tmp_path / "cib.xml"
    path.write_text(cib_text(dummy("A", stop_op("stop"))))
    found = verify.verify_file(str(path), corosync_conf=None)
    assert [r.code for r in found.reports if r.code.startswith("VERIFY_")] == [
        "VERIFY_ON_FAIL_NOT_ALLOWED"] and not found.valid
    assert crm_verify_exit(path) in (0, None)


def test_on_fail_fence_while_fencing_is_disabled(tmp_path: Path) -> None:
    fence = '<op id="A-start" name="start" interval="0" on-fail="fence"/>'
    text = cib_text(dummy("A", fence), status1=running_on_node1("A"))
    assert verdict(tmp_path, text) == ([("VERIFY_ON_FAIL_FENCE_DISABLED", "A")], False)


# -- requires ------------------------------------------------------------------------------------
def meta(rsc: str, name: str, value: str) -> str:
    return (f'<meta_attributes id="{rsc}-m"><nvpair id="{rsc}-m-{name}" name="{name}" '
            f'value="{value}"/></meta_attributes>')


@pytest.mark.parametrize("value", ["fencing", "unfencing"])
def test_requires_fencing_while_fencing_is_disabled(tmp_path: Path, value: str) -> None:
    text = cib_text(dummy("A", meta=meta("A", "requires", value)))
    assert verdict(tmp_path, text) == ([("VERIFY_REQUIRES_FENCING_DISABLED", "A")], False)
    assert verdict(tmp_path, cib_text(dummy("A", meta=meta("A", "requires", "quorum")))) == (
        [], True)


def test_requires_fencing_from_the_resource_defaults(tmp_path: Path) -> None:
    defaults = ('<rsc_defaults><meta_attributes id="rd"><nvpair id="rd-r" name="requires" '
                'value="fencing"/></meta_attributes></rsc_defaults>')
    text = cib_text(dummy("A")).replace("</configuration>", f"{defaults}</configuration>")
    assert verdict(tmp_path, text) == ([("VERIFY_REQUIRES_FENCING_DISABLED", "")], False)
    # a group that sets its own requires: its members take that, not the defaults'
    group = f'<group id="G">{meta("G", "requires", "quorum")}{dummy("A")}</group>'
    text = cib_text(group).replace("</configuration>", f"{defaults}</configuration>")
    assert verdict(tmp_path, text) == ([], True)


# -- constraints ---------------------------------------------------------------------------------
def colocation(influence: str) -> str:
    return (f'<rsc_colocation id="c1" rsc="A" with-rsc="B" score="INFINITY" '
            f'influence="{influence}"/>')


def test_an_influence_that_is_not_a_boolean(tmp_path: Path) -> None:
    rscs = dummy("A") + dummy("B")
    assert verdict(tmp_path, cib_text(rscs, colocation("maybe"))) == (
        [("VERIFY_INFLUENCE_INVALID", "c1")], False)
    assert verdict(tmp_path, cib_text(rscs, colocation("no"))) == ([], True)


def test_an_order_kind_that_is_none_of_the_three(tmp_path: Path) -> None:
    # Pacemaker's schema refuses it too: the scheduler's check is seen without the schema
    rscs = dummy("A") + dummy("B")
    order = '<rsc_order id="o1" first="A" then="B" kind="{kind}"/>'
    text = cib_text(rscs, order.format(kind="Sometimes")).replace(
        'validate-with="pacemaker-3.8"', 'validate-with="none"')
    assert verdict(tmp_path, text) == ([("VERIFY_ORDER_KIND_INVALID", "o1")], False)
    assert verdict(tmp_path, text.replace("Sometimes", "serialize")) == ([], True)


TEMPLATES = ('<template id="T1" class="ocf" provider="heartbeat" type="Dummy"/>'
             '<template id="T2" class="ocf" provider="heartbeat" type="Dummy"/>'
             '<primitive id="A" template="T1"/><primitive id="B" template="T2"/>'
             '<primitive id="C" class="ocf" provider="heartbeat" type="Dummy"/>')
TAGS = '<tags><tag id="G1"><obj_ref id="C"/></tag></tags>'


@pytest.mark.parametrize(("rsc", "with_rsc", "expected"), [
    ("T1", "T2", [("VERIFY_COLOCATION_OF_REFERENCES", "c1")]),
    ("G1", "T2", [("VERIFY_COLOCATION_OF_REFERENCES", "c1")]),
    ("T1", "C", []),  # a template with a resource: its resources each
    ("C", "G1", []),
])
def test_a_colocation_of_two_tags_or_templates(tmp_path: Path, rsc: str, with_rsc: str,
                                               expected: list[tuple[str, str]]) -> None:
    constraint = f'<rsc_colocation id="c1" rsc="{rsc}" with-rsc="{with_rsc}" score="INFINITY"/>'
    text = cib_text(TEMPLATES, constraint).replace("</configuration>", f"{TAGS}</configuration>")
    assert verdict(tmp_path, text) == (expected, not expected)


# -- the status of remote nodes ------------------------------------------------------------------
REMOTE_STATE = '<node_state id="{name}" uname="{name}" remote_node="true" in_ccm="false"/>'


def test_a_remote_nodes_state_the_configuration_no_longer_has(tmp_path: Path) -> None:
    text = cib_text(dummy("A")).replace("</status>",
                                        REMOTE_STATE.format(name="gone") + "</status>")
    assert verdict(tmp_path, text) == ([("VERIFY_NODE_STATE_UNKNOWN", "gone")], False)


def test_a_remote_node_configured_by_its_connection_or_as_a_node(tmp_path: Path) -> None:
    connection = ('<primitive id="r1" class="ocf" provider="pacemaker" type="remote">'
                  '<operations><op id="r1-mon" name="monitor" interval="30s"/></operations>'
                  '</primitive>')
    text = cib_text(connection).replace("</status>",
                                        REMOTE_STATE.format(name="r1") + "</status>")
    assert verdict(tmp_path, text) == ([], True)
    as_node = cib_text(dummy("A")).replace(
        '<node id="2" uname="node2"/>',
        '<node id="2" uname="node2"/><node id="r2" uname="r2" type="remote"/>').replace(
        "</status>", REMOTE_STATE.format(name="r2") + "</status>")
    assert verdict(tmp_path, as_node) == ([], True)


# -- failure-timeout against on-fail=block -------------------------------------------------------
def _blocked_stop_failure(rsc: str, fail_count: bool) -> str:
    """node1's status: `rsc` started, then its stop failed (its on-fail is block), with the
    fail count such a failure leaves, or none."""
    from cibs import op_record

    records = [op_record(rsc, f"{rsc}_last_0", "start", 0, 0, 10),
               op_record(rsc, f"{rsc}_last_failure_0", "stop", 0, 1, 12)]
    attrs = (f'<transient_attributes id="1"><instance_attributes id="status-1">'
             f'<nvpair id="status-1-fc" name="fail-count-{rsc}#stop_0" value="1"/>'
             f'<nvpair id="status-1-lf" name="last-failure-{rsc}#stop_0" value="1764000000"/>'
             f'</instance_attributes></transient_attributes>') if fail_count else ""
    return (f'{attrs}<lrm id="1"><lrm_resources><lrm_resource id="{rsc}" class="ocf" '
            f'provider="heartbeat" type="Dummy">{"".join(records)}</lrm_resource>'
            f'</lrm_resources></lrm>')


@pytest.mark.parametrize("fail_count", [True, False])
def test_a_failure_timeout_with_a_blocked_failure_is_ignored(tmp_path: Path,
                                                              fail_count: bool) -> None:
    """crm_verify: "Ignoring failure timeout 60 for A because it conflicts with on-fail=block",
    once a failure of the blocked operation is recorded with its fail count; without a fail
    count it says nothing."""
    meta = ('<meta_attributes id="A-meta"><nvpair id="A-ft" name="failure-timeout" value="60"/>'
            '</meta_attributes>')
    text = cib_text(dummy("A", stop_op("block"), meta),
                    status1=_blocked_stop_failure("A", fail_count))
    found, valid = verdict(tmp_path, text)
    assert (("VERIFY_FAILURE_TIMEOUT_BLOCKED", "A") in found) is fail_count
    assert valid is not fail_count

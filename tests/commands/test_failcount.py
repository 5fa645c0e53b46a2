"""Fail counts: sums per resource and node from the status, expiry by failure-timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import DUMMY, codes, load, running_on_node1, write_cib

from vigil.commands import failcount
from vigil.commands.env import FileEnvironment
from vigil.model.nvset import flatten
from vigil.model.reports import ReportError

NOW = 1_764_000_100  # 100 s after the failure of running_on_node1

EXTRA = ('<nvpair id="s1-fc-start" name="fail-count-A#start_0" value="INFINITY"/>'
         '<nvpair id="s1-lf-start" name="last-failure-A#start_0" value="1764000050"/>'
         '<nvpair id="s1-fc-B" name="fail-count-B#monitor_10000" value="2"/>'
         '<nvpair id="s1-lf-B" name="last-failure-B#monitor_10000" value="1764000010"/>')


def cib(tmp_path: Path, meta: str = "", extra: str = "") -> Path:
    a = DUMMY.format(id="A").replace("<operations>", meta + "<operations>")
    status = running_on_node1("A", failed_monitor=True).replace(
        "</instance_attributes>", extra + "</instance_attributes>")
    return write_cib(tmp_path / "cib.xml", a + DUMMY.format(id="B"), status1=status)


def test_show_sums_per_resource_and_node(tmp_path: Path) -> None:
    env = FileEnvironment(str(cib(tmp_path, extra=EXTRA)), clock=NOW)
    found = failcount.show(env)
    assert [(f.resource, f.node, f.count, f.last_failure, f.expired) for f in found] == [
        ("A", "node1", 1_000_000, 1764000050, False),
        ("B", "node1", 2, 1764000010, False)]
    assert [(o.operation, o.interval_ms, o.count) for o in found[0].operations] == [
        ("monitor", 10000, 1), ("start", 0, 1_000_000)]
    assert [f.resource for f in failcount.show(env, "B")] == ["B"]
    assert failcount.show(env, "B", "node2") == ()


def test_failure_timeout_expiry_comes_from_the_scheduler(tmp_path: Path) -> None:
    meta = ('<meta_attributes id="A-meta"><nvpair id="A-ft" name="failure-timeout" '
            'value="60s"/></meta_attributes>')
    path = cib(tmp_path, meta=meta)
    (count,) = failcount.show(FileEnvironment(str(path), clock=NOW))
    assert (count.failure_timeout_s, count.expired) == (60, True)
    (count,) = failcount.show(FileEnvironment(str(path), clock=1_764_000_030))
    assert count.expired is False


def test_group_resource_shows_its_members(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    text = cib(tmp_path, extra=EXTRA).read_text().replace(
        DUMMY.format(id="A"), "").replace("<resources>", "<resources><group id=\"G\">"
                                          + DUMMY.format(id="A") + "</group>")
    path.write_text(text)
    found = failcount.show(FileEnvironment(str(path), clock=NOW), "G")
    assert [f.resource for f in found] == ["A"]


@pytest.mark.parametrize(("resource", "node", "code"), [
    ("ghost", None, "RESOURCE_NOT_FOUND"), ("A", "node9", "NODE_NOT_FOUND")])
def test_unknown_names(tmp_path: Path, resource: str, node: str | None, code: str) -> None:
    env = FileEnvironment(str(cib(tmp_path)), clock=NOW)
    with pytest.raises(ReportError) as exc:
        failcount.show(env, resource, node)
    assert codes(exc.value.reports) == [code]


def test_reset_clears_the_attributes_of_that_resource_only(tmp_path: Path) -> None:
    path = cib(tmp_path, extra=EXTRA)
    env = FileEnvironment(str(path), clock=NOW)
    done = failcount.reset(env, "A")
    assert codes(done.reports) == ["CLEANED_UP"]
    attrs = flatten(load(path).status[0].transient_attributes)
    assert sorted(attrs) == ["fail-count-B#monitor_10000", "last-failure-B#monitor_10000"]
    assert [f.resource for f in failcount.show(env)] == ["B"]

"""Fence devices and levels from the CIB, Pacemaker's parsing rules, and the configuration's
reports (asserted by code, never by text). Pure: nothing is run."""

from __future__ import annotations

from pathlib import Path

from fencer_support import cib, level, stonith

from vigil import fencer
from vigil.fencer import AgentInfo, FenceDevice, FencingLevel, levels_for, parse_host_map, parse_targets
from vigil.fencer.devices import parse_delay_base, static_capability, with_agent_info
from vigil.model.reports import Severity

LIST_STATUS = AgentInfo("fence_x", frozenset({"list", "status", "off", "reboot"}), frozenset({"port"}))
STATUS_ONLY = AgentInfo("fence_x", frozenset({"status", "off"}), frozenset({"plug"}))
NEITHER = AgentInfo("fence_x", frozenset({"off"}), frozenset())


def codes(found: tuple[object, ...]) -> list[str]:
    return [r.code for r in found]  # type: ignore[attr-defined]


# -- parsing ---------------------------------------------------------------------------------
def test_host_map_syntax_as_pacemaker_parses_it() -> None:
    assert parse_host_map("n1:1;n2:2") == ({"n1": "1", "n2": "2"}, ())
    assert parse_host_map("n1=a n2=b\tn3:c") == ({"n1": "a", "n2": "b", "n3": "c"}, ())
    assert parse_host_map(r"n1:a\;b;n2:c\:d") == ({"n1": "a;b", "n2": "c:d"}, ())
    assert parse_host_map("n1:1;;n2:2;") == ({"n1": "1", "n2": "2"}, ())
    assert parse_host_map("n1:1;oops;n2:2") == ({"n1": "1", "n2": "2"}, ("oops",))
    assert parse_host_map("") == ({}, ())


def test_target_lists_split_like_pacemaker() -> None:
    assert parse_targets("n1 n2,n3;n4") == ("n1", "n2", "n3", "n4")
    assert parse_targets("n1,\nn2,alias2\n") == ("n1", "n2", "alias2")
    assert parse_targets("n1,,ON\nn2,,OFF\n") == ("n1", "n2")  # list-status style
    assert parse_targets("Parse error: invalid option\nn5") == ("n5",)
    assert parse_targets("vm-1.example\\nvm_2") == ("vm-1.example", "vm_2")
    assert parse_targets(None) == ()


def test_delay_base_plain_or_per_node() -> None:
    assert parse_delay_base("5s") == (5000, {}, ())
    assert parse_delay_base("n1:0;n2:10s") == (0, {"n1": 0, "n2": 10000}, ())
    assert parse_delay_base("n1:;n2:2")[2] == ("n1:",)
    assert parse_delay_base("soon")[0] is None


# -- devices ---------------------------------------------------------------------------------
def test_device_fields_and_filtered_params() -> None:
    c = cib(stonith("f1", "fence_x", {
        "ipaddr": "10.0.0.1", "login": "admin", "pcmk_host_list": "n1 n2", "pcmk_delay_base": "2s",
        "pcmk_delay_max": "10s", "pcmk_reboot_action": "off", "pcmk_off_timeout": "30s",
        "pcmk_reboot_retries": "4", "pcmk_host_argument": "plug", "provides": "unfencing",
        "stonith-timeout": "5"}))
    (dev,) = fencer.devices_from_cib(c)
    assert dev.id == "f1" and dev.agent == "fence_x"
    assert dev.params == {"ipaddr": "10.0.0.1", "login": "admin"}
    assert dev.host_list == ("n1", "n2") and dev.host_check == "static-list"
    assert (dev.delay_base_ms, dev.delay_max_ms) == (2000, 10000)
    assert dev.reboot_action == "off" and dev.off_action == "off"
    assert dev.action_timeouts_ms == {"off": 30000} and dev.action_retries == {"reboot": 4}
    assert dev.host_argument == "plug"


def test_legacy_action_parameter_becomes_overrides() -> None:
    c = cib(stonith("a", "fence_x", {"action": "off"}), stonith("b", "fence_x", {"action": "on"}),
            stonith("c", "fence_x", {"action": "reboot"}))
    a, b, c_ = fencer.devices_from_cib(c)
    assert a.action_overrides == {"reboot": "off"} and "action" not in a.params
    assert b.action_overrides == {"off": "on", "reboot": "on"}
    assert c_.action_overrides == {}


def test_disabled_devices_are_not_registered() -> None:
    c = cib(stonith("on1", "fence_x"), stonith("off1", "fence_x", meta={"target-role": "Stopped"}))
    assert [d.id for d in fencer.devices_from_cib(c)] == ["on1"]


def test_default_host_check_follows_pacemaker() -> None:
    c = cib(stonith("listed", "fence_x", {"pcmk_host_list": "n1"}),
            stonith("mapped", "fence_x", {"pcmk_host_map": "n1:p1"}),
            stonith("bare", "fence_x"),
            stonith("forced", "fence_x", {"pcmk_host_list": "n1", "pcmk_host_check": "none"}))
    listed_, mapped, bare, forced = fencer.devices_from_cib(c)
    assert listed_.host_check == mapped.host_check == "static-list" and forced.host_check == "none"
    assert bare.host_check is None  # only the agent's metadata can tell
    assert with_agent_info(bare, LIST_STATUS).host_check == "dynamic-list"
    assert with_agent_info(bare, STATUS_ONLY).host_check == "status"
    assert with_agent_info(bare, NEITHER).host_check == "none"
    assert with_agent_info(bare, None).host_check == "none"  # no metadata: Pacemaker's flags stay empty
    known = fencer.devices_from_cib(c, agents={"fence_x": STATUS_ONLY})
    assert [d.host_check for d in known] == ["static-list", "static-list", "status", "none"]


def test_static_capability_by_list_and_map_case_insensitive() -> None:
    c = cib(stonith("f", "fence_x", {"pcmk_host_list": "N1", "pcmk_host_map": "n2:port2"}))
    (dev,) = fencer.devices_from_cib(c, agents={"fence_x": LIST_STATUS})
    assert static_capability(dev, "n1", "reboot") is True
    assert static_capability(dev, "N2", "off") is True
    assert static_capability(dev, "n3", "reboot") is False
    assert dev.port_for("n2") == "port2" and dev.port_for("n1") == "n1"
    # the agent has no "on": it cannot unfence anyone
    assert static_capability(dev, "n1", "on") is False


def test_invalid_host_check_fences_nothing() -> None:
    (dev,) = fencer.devices_from_cib(cib(stonith("f", "fence_x", {"pcmk_host_check": "sometimes"})))
    assert dev.host_check is None and static_capability(dev, "n1", "reboot") is False


# -- levels ----------------------------------------------------------------------------------
def test_levels_from_topology() -> None:
    c = cib(stonith("ipmi", "fence_x"), stonith("pdu1", "fence_x"), stonith("pdu2", "fence_x"),
            levels=[level("l2", 2, "pdu1,pdu2", target="n1"), level("l1", 1, "ipmi", target="n1"),
                    level("lp", 1, "pdu1", target_pattern="n[23]"),
                    level("la", 1, "ipmi", target_attribute="rack", target_value="r1")])
    lvs = fencer.levels_from_cib(c)
    assert lvs[0] == FencingLevel(id="l2", index=2, devices=("pdu1", "pdu2"), target="n1")
    assert [lv.id for lv in levels_for("n1", lvs)] == ["l1", "l2"]
    assert [lv.id for lv in levels_for("n3", lvs)] == ["lp"]
    assert [lv.id for lv in levels_for("n9", lvs, {"rack": "r1"})] == ["la"]
    assert levels_for("n9", lvs) == ()


def test_invalid_levels_are_left_out_and_reported() -> None:
    c = cib(stonith("ipmi", "fence_x"),
            levels=[level("ok", 1, "ipmi", target="n1"), level("big", 10, "ipmi", target="n1"),
                    level("nan", "x", "ipmi", target="n1"), level("none", 2, "ipmi"),
                    level("ghost", 3, "ipmi,nothere", target="n1"), level("dup", 1, "ipmi", target="n1"),
                    level("re", 1, "ipmi", target_pattern="n[")])
    assert [lv.id for lv in fencer.levels_from_cib(c)] == ["ok", "ghost", "dup"]
    found = fencer.config_reports(c)
    assert sorted((r.code, r.field("level")) for r in found) == sorted([
        ("FENCE_LEVEL_INVALID", "big"), ("FENCE_LEVEL_INVALID", "nan"), ("FENCE_LEVEL_INVALID", "none"),
        ("FENCE_LEVEL_DEVICE_UNKNOWN", "ghost"), ("FENCE_LEVEL_DUPLICATE", "dup"),
        ("FENCE_LEVEL_INVALID", "re")])


# -- reports ---------------------------------------------------------------------------------
def test_configuration_reports(tmp_path: Path) -> None:
    c = cib(stonith("badmap", "fence_x", {"pcmk_host_map": "n1:1;n2;n3:"}),
            stonith("empty", "fence_x", {"pcmk_host_list": ""}),
            stonith("strangers", "fence_x", {"pcmk_host_list": "db1 db2"}),
            stonith("check", "fence_x", {"pcmk_host_check": "maybe"}),
            stonith("delays", "fence_x", {"pcmk_host_list": "n1", "pcmk_delay_base": "20s",
                                          "pcmk_delay_max": "5s", "pcmk_off_timeout": "never"}),
            stonith("path", "../../bin/sh", {"pcmk_host_list": "n1"}))
    found = fencer.config_reports(c)
    got = sorted((r.code, r.field("device"), r.severity) for r in found)
    assert got == sorted([
        ("FENCE_HOST_MAP_INVALID", "badmap", Severity.ERROR),
        ("FENCE_HOST_MAP_INVALID", "badmap", Severity.ERROR),
        ("FENCE_DEVICE_NO_TARGET", "empty", Severity.ERROR),
        ("FENCE_DEVICE_NO_KNOWN_TARGET", "strangers", Severity.WARNING),
        ("FENCE_HOST_CHECK_INVALID", "check", Severity.ERROR),
        ("FENCE_PARAMETER_INVALID", "delays", Severity.ERROR),
        ("FENCE_DELAY_BASE_ABOVE_MAX", "delays", Severity.WARNING),
        ("FENCE_AGENT_INVALID", "path", Severity.ERROR),
    ])
    assert next(r for r in found if r.code == "FENCE_PARAMETER_INVALID").field("name") == "pcmk_off_timeout"
    # validate adds the agents missing from the agent directory
    (tmp_path / "fence_x").write_text("#!/bin/sh\n")
    (tmp_path / "fence_x").chmod(0o755)
    more = fencer.validate(cib(stonith("a", "fence_x", {"pcmk_host_list": "n1"}),
                               stonith("b", "fence_missing", {"pcmk_host_list": "n1"})), agent_dir=tmp_path)
    assert [(r.code, r.field("device")) for r in more] == [("FENCE_AGENT_NOT_FOUND", "b")]


def test_a_clean_configuration_has_no_reports() -> None:
    c = cib(stonith("f", "fence_x", {"pcmk_host_map": "n1:1;n2:2;n3:3", "pcmk_delay_max": "5s"}),
            levels=[level("l1", 1, "f", target="n1")])
    assert fencer.config_reports(c) == ()


def test_device_values_are_frozen() -> None:
    dev = FenceDevice(id="f", agent="fence_x", params={})
    try:
        dev.id = "g"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("FenceDevice must be frozen")

"""Fencing a node: device selection (static list, host map, dynamic list, status), levels in
index order, reboot over several devices, delays (seeded Random, no real sleeping), retries,
and the time bounds. Test agents in a temporary directory log every call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from random import Random

from fencer_support import behave, cib, level, opts_of, stonith, write_agent

from vigil import fencer
from vigil.fencer import FenceCache, FenceDevice, FenceOutcome, FenceStatus
from vigil.fencer.fence import device_delay_ms


class Sleeps:
    """Records the delays `fence` asks for instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


Setup = tuple[Path, Path, tuple[FenceDevice, ...], tuple[fencer.FencingLevel, ...]]


def setup(tmp_path: Path, *prims: str, levels: Sequence[str] = (),
          actions: Sequence[str] | None = None) -> Setup:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    write_agent(sbin, "fence_test", **({"actions": actions} if actions is not None else {}))
    write_agent(sbin, "fence_nolist", actions=("on", "off", "reboot", "status", "monitor", "metadata"))
    c = cib(*(p.replace("LOG", str(log)) for p in prims), levels=levels)
    return sbin, log, fencer.devices_from_cib(c), fencer.levels_from_cib(c)


def go(target: str, action: str, sbin: Path, devices: Sequence[FenceDevice],
       levels: Sequence[fencer.FencingLevel] = (), **kw: object) -> FenceOutcome:
    kw.setdefault("sleep", Sleeps())
    return asyncio.run(fencer.fence(target, action, devices=devices, levels=levels, agent_dir=sbin,
                                    stonith_timeout_ms=kw.pop("stonith_timeout_ms", 10_000),  # type: ignore[arg-type]
                                    **kw))  # type: ignore[arg-type]


def fencing_calls(log: Path) -> list[tuple[str, str, str]]:
    """(device, action, target) of the calls that act on a node, in order."""
    return [(o.get("dev", "?"), o["action"], o.get("nodename", "")) for o in opts_of(log)
            if o["action"] in ("off", "on", "reboot")]


def dev(rid: str, agent: str = "fence_test", **params: str) -> str:
    return stonith(rid, agent, {"log": "LOG", "dev": rid, **params})


# -- selection -------------------------------------------------------------------------------
def test_static_list_picks_the_device_that_lists_the_target(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("a", pcmk_host_list="n1 n2"), dev("b", pcmk_host_list="n3"))
    out = go("n3", "reboot", sbin, devices)
    assert out.ok and out.status is FenceStatus.OK and out.devices == ("b",) and out.level is None
    assert fencing_calls(log) == [("b", "reboot", "n3")]
    assert out.target == "n3" and out.action == "reboot" and out.duration_ms >= 0


def test_host_map_sends_the_port(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("pdu", pcmk_host_map="n1:1;n2:2;n3:3"))
    out = go("n2", "off", sbin, devices)
    assert out.ok and out.devices == ("pdu",)
    (call,) = [o for o in opts_of(log) if o["action"] == "off"]
    assert (call["port"], call["nodename"]) == ("2", "n2")


def test_no_capable_device(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("a", pcmk_host_list="n1"))
    out = go("n3", "reboot", sbin, devices)
    assert (out.ok, out.status, out.devices) == (False, FenceStatus.NO_DEVICE, ())
    assert fencing_calls(log) == []
    assert go("n3", "reboot", sbin, ()).status is FenceStatus.NO_DEVICE


def test_dynamic_list_asks_the_agent_and_caches_its_answer(tmp_path: Path) -> None:
    listing = behave(list={"out": "n1,\nn2,\nvm-n3,\n"})
    sbin, log, devices, _ = setup(tmp_path, dev("d", behave=listing, pcmk_host_map="n3:vm-n3",
                                                pcmk_host_check="dynamic-list"),
                                  dev("e", behave=listing))
    cache = FenceCache()
    assert go("n3", "off", sbin, devices, cache=cache).devices == ("d",)  # by its alias
    assert go("n2", "off", sbin, devices, cache=cache).devices == ("d",)  # d's listed, tried first
    lists = sorted(o["dev"] for o in opts_of(log) if o["action"] == "list")  # queries run concurrently
    assert lists == ["d", "e"]  # one list per device, then the cache answers (60 s)
    assert go("n9", "off", sbin, devices, cache=cache).status is FenceStatus.NO_DEVICE


def test_dynamic_list_failing_falls_back_to_status_unless_configured(tmp_path: Path) -> None:
    broken = behave(list={"rc": 1}, status={"rc": 2})
    sbin, log, devices, _ = setup(tmp_path, dev("default", behave=broken),
                                  dev("explicit", behave=broken, pcmk_host_check="dynamic-list"))
    out = go("n1", "off", sbin, devices)
    assert out.devices == ("default",)  # status answered "off": it can fence n1
    statuses = [o["dev"] for o in opts_of(log) if o["action"] == "status"]
    assert statuses == ["default"]


def test_status_host_check(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("unknown", "fence_nolist", behave=behave(status={"rc": 1})),
                                  dev("known", "fence_nolist", behave=behave(status={"rc": 0})))
    out = go("n2", "reboot", sbin, devices)
    assert out.devices == ("known",)
    assert {o["dev"] for o in opts_of(log) if o["action"] == "status"} == {"unknown", "known"}


def test_without_topology_devices_are_tried_in_turn(tmp_path: Path) -> None:
    failing = behave(reboot={"rc": 1})
    sbin, log, devices, _ = setup(tmp_path, dev("first", pcmk_host_list="n1", behave=failing),
                                  dev("second", pcmk_host_list="n1"))
    out = go("n1", "reboot", sbin, devices)
    assert out.ok and out.devices == ("first", "second")
    # the failing device was retried once (pcmk_reboot_retries defaults to 2 attempts)
    assert fencing_calls(log) == [("first", "reboot", "n1"), ("first", "reboot", "n1"),
                                  ("second", "reboot", "n1")]


def test_failure_of_every_device(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("only", pcmk_host_list="n1", pcmk_reboot_retries="1",
                                                behave=behave(reboot={"rc": 1, "err": "switch says no"})))
    out = go("n1", "reboot", sbin, devices)
    assert (out.ok, out.status) == (False, FenceStatus.FAILED)
    assert "switch says no" in out.detail and len(fencing_calls(log)) == 1


def test_agent_without_reboot_gets_off(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("p", pcmk_host_list="n1"), actions=("off", "on", "metadata"))
    assert go("n1", "reboot", sbin, devices).ok
    assert fencing_calls(log) == [("p", "off", "n1")]


def test_on_needs_an_agent_with_on(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("p", pcmk_host_list="n1"),
                                  actions=("off", "reboot", "metadata"))
    assert go("n1", "on", sbin, devices).status is FenceStatus.NO_DEVICE


# -- topology --------------------------------------------------------------------------------
def test_levels_in_index_order_until_one_succeeds(tmp_path: Path) -> None:
    sbin, log, devices, levels = setup(
        tmp_path,
        dev("ipmi", pcmk_host_list="n1 n2 n3", pcmk_off_retries="1", behave=behave(off={"rc": 1})),
        dev("pdu1", pcmk_host_list="n1 n2 n3"), dev("pdu2", pcmk_host_list="n1 n2 n3"),
        levels=[level("l2", 2, "pdu1,pdu2", target="n2"), level("l1", 1, "ipmi", target="n2")])
    out = go("n2", "off", sbin, devices, levels)
    assert out.ok and out.level == 2 and out.devices == ("ipmi", "pdu1", "pdu2")
    assert fencing_calls(log) == [("ipmi", "off", "n2"), ("pdu1", "off", "n2"), ("pdu2", "off", "n2")]
    assert "level 2" in out.detail


def test_every_device_of_a_level_must_succeed(tmp_path: Path) -> None:
    sbin, log, devices, levels = setup(
        tmp_path, dev("pdu1", pcmk_host_list="n1"),
        dev("pdu2", pcmk_host_list="n1", pcmk_off_retries="1", behave=behave(off={"rc": 1})),
        dev("ipmi", pcmk_host_list="n1"),
        levels=[level("l1", 1, "pdu1,pdu2", target="n1"), level("l2", 2, "ipmi", target="n1")])
    out = go("n1", "off", sbin, devices, levels)
    assert out.ok and out.level == 2
    assert fencing_calls(log) == [("pdu1", "off", "n1"), ("pdu2", "off", "n1"), ("ipmi", "off", "n1")]


def test_reboot_over_several_devices_is_off_then_on(tmp_path: Path) -> None:
    sbin, log, devices, levels = setup(
        tmp_path, dev("psu1", pcmk_host_list="n1"),
        dev("psu2", pcmk_host_list="n1", behave=behave(on={"rc": 1})),
        dev("psu3", pcmk_host_list="n1", pcmk_reboot_action="off"),
        levels=[level("l1", 1, "psu1,psu2,psu3", target="n1")])
    out = go("n1", "reboot", sbin, devices, levels)
    assert out.ok and out.level == 1  # a failed "on" does not fail the fencing
    assert fencing_calls(log) == [("psu1", "off", "n1"), ("psu2", "off", "n1"), ("psu3", "off", "n1"),
                                  ("psu1", "on", "n1"), ("psu2", "on", "n1"), ("psu2", "on", "n1")]


def test_a_level_with_an_incapable_or_unknown_device_is_skipped(tmp_path: Path) -> None:
    sbin, log, devices, levels = setup(
        tmp_path, dev("a", pcmk_host_list="n2"), dev("b", pcmk_host_list="n1"),
        levels=[level("l1", 1, "a", target="n1"), level("l2", 2, "ghost", target="n1"),
                level("l3", 3, "b", target="n1")])
    out = go("n1", "off", sbin, devices, levels)
    assert out.ok and out.level == 3 and fencing_calls(log) == [("b", "off", "n1")]
    none = go("n1", "off", sbin, devices, levels[:2])
    assert none.status is FenceStatus.NO_DEVICE and "level 1" in none.detail and "level 2" in none.detail


# -- delays ----------------------------------------------------------------------------------
def test_delay_rules() -> None:
    d = FenceDevice(id="d", agent="fence_x", params={}, delay_base_ms=2000, delay_max_ms=5000)
    seeded = [device_delay_ms(d, "reboot", "n1", 0, Random(7)) for _ in range(3)]
    assert seeded == [device_delay_ms(d, "reboot", "n1", 0, Random(7))] * 3  # reproducible
    draws = {device_delay_ms(d, "off", "n1", 0, Random(s)) for s in range(200)}
    assert min(draws) >= 2000 and max(draws) < 5000 and len(draws) > 100  # [base, max)
    assert device_delay_ms(d, "on", "n1", 0, Random(1)) == 0  # "on" is not a fencing action
    assert device_delay_ms(d, "off", "n1", -1, Random(1)) == 0  # -1 disables every delay
    only_base = FenceDevice(id="d", agent="fence_x", params={}, delay_base_ms=3000)
    assert device_delay_ms(only_base, "off", "n1", 500, Random(1)) == 3500
    only_max = FenceDevice(id="d", agent="fence_x", params={}, delay_max_ms=1000)
    assert {device_delay_ms(only_max, "off", "n1", 0, Random(s)) for s in range(100)} <= set(range(1000))
    inverted = FenceDevice(id="d", agent="fence_x", params={}, delay_base_ms=9000, delay_max_ms=4000)
    assert device_delay_ms(inverted, "off", "n1", 0, Random(1)) == 4000  # base limited to max
    per_node = FenceDevice(id="d", agent="fence_x", params={}, delay_base_map={"n1": 0, "n2": 10000})
    assert [device_delay_ms(per_node, "off", n, 0, Random(1)) for n in ("n1", "N2", "n3")] == [0, 10000, 0]


def test_two_node_race_the_delayed_side_waits(tmp_path: Path) -> None:
    """pcmk_delay_base=n1:0;n2:5s: fencing n2 waits 5 s, fencing n1 does not; with a seeded
    Random the random part is reproducible."""
    sbin, log, devices, _ = setup(tmp_path, dev("psu", pcmk_host_list="n1 n2", pcmk_delay_base="n1:0;n2:5s"),
                                  dev("rnd", pcmk_host_list="n3", pcmk_delay_max="4s"))
    sleeps = Sleeps()
    out_n2 = go("n2", "reboot", sbin, devices, sleep=sleeps)
    out_n1 = go("n1", "reboot", sbin, devices, sleep=sleeps)
    assert out_n2.delays_ms == (("psu", 5000),) and out_n1.delays_ms == (("psu", 0),)
    assert sleeps.seconds == [5.0]
    a = go("n3", "reboot", sbin, devices, random=Random(42))
    b = go("n3", "reboot", sbin, devices, random=Random(42))
    assert a.delays_ms == b.delays_ms == (("rnd", Random(42).randrange(4000)),)


def test_requested_delay_applies_to_the_first_device_only(tmp_path: Path) -> None:
    sbin, log, devices, levels = setup(
        tmp_path, dev("a", pcmk_host_list="n1", pcmk_delay_base="1s"), dev("b", pcmk_host_list="n1"),
        levels=[level("l1", 1, "a,b", target="n1")])
    out = go("n1", "off", sbin, devices, levels, delay_ms=2000)
    assert out.delays_ms == (("a", 3000), ("b", 0))
    assert go("n1", "off", sbin, devices, levels, delay_ms=-1).delays_ms == (("a", 0), ("b", 0))


def test_delays_really_happen_before_the_agent(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("a", pcmk_host_list="n1", pcmk_delay_base="300ms"))
    out = asyncio.run(fencer.fence("n1", "off", devices=devices, agent_dir=sbin, stonith_timeout_ms=10_000))
    assert out.ok and out.duration_ms >= 300 and out.delays_ms == (("a", 300),)


# -- time bounds -----------------------------------------------------------------------------
def test_a_hung_agent_is_killed_at_its_timeout_and_the_next_device_used(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("hung", pcmk_host_list="n1", pcmk_off_timeout="1s",
                                                behave=behave(off={"sleep": 60})),
                                  dev("good", pcmk_host_list="n1"))
    runs: list[fencer.AgentRun] = []
    out = go("n1", "off", sbin, devices, stonith_timeout_ms=20_000, runs=runs)
    assert out.ok and out.devices == ("hung", "good")
    hung = [r for r in runs if r.device == "hung"]
    assert len(hung) == 1 and hung[0].status is fencer.RunStatus.TIMEOUT  # never retried after a timeout
    assert out.duration_ms < 8000  # 1 s timeout, plus agents starting on a loaded machine


def test_an_agent_timeout_is_reported_as_such(tmp_path: Path) -> None:
    slow = behave(off={"sleep": 60})
    sbin, log, devices, _ = setup(tmp_path, dev("slow", pcmk_host_list="n1", behave=slow))
    out = go("n1", "off", sbin, devices, stonith_timeout_ms=1000)
    assert out.status is FenceStatus.TIMEOUT and not out.ok
    assert 900 <= out.duration_ms < 8000


def test_the_overall_bound(tmp_path: Path) -> None:
    sbin, log, devices, _ = setup(tmp_path, dev("d", pcmk_host_list="n1", pcmk_delay_base="500ms",
                                                pcmk_delay_max="1s"))
    assert fencer.total_timeout_ms(devices, "off", 1000) == 2400  # 1.2 x (1 s + pcmk_delay_max)
    assert fencer.total_timeout_ms(devices, "off", 1000, requested_delay_ms=500) == 2900

    async def oversleep(_seconds: float) -> None:
        await asyncio.sleep(10)  # a delay that overruns everything: the bound must cut it

    out = go("n1", "off", sbin, devices, stonith_timeout_ms=1000, sleep=oversleep)
    assert out.status is FenceStatus.TIMEOUT and 2300 <= out.duration_ms < 8000
    assert fencing_calls(log) == []


def test_bad_action_is_a_programming_error(tmp_path: Path) -> None:
    try:
        go("n1", "explode", tmp_path, ())
    except ValueError:
        return
    raise AssertionError("expected ValueError")

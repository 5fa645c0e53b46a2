"""The agents' tools without a cluster: their option parsing (GLib's rules, Pacemaker's options
and defaults), what each invocation asks vigild, and the wrappers and environment vigild gives
agents."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from vigil.attrs import crm_attribute, crm_master
from vigil.attrs.common import Arg, Exit, Opt, ToolError, parse
from vigil.daemon import agent_tools
from vigil.daemon import control as c
from vigil.daemon.__main__ import agent_env

OPTS = (Opt("name", "n", ("name",), Arg.REQUIRED), Opt("query", "G", ("query",)),
        Opt("quiet", "q", ("quiet",)), Opt("promotion", "p", ("promotion",), Arg.OPTIONAL))


@pytest.mark.parametrize(("argv", "found", "words"), [
    (["-n", "x", "-G"], [("name", "x"), ("query", None)], []),
    (["-nx", "-Gq"], [("name", "x"), ("query", None), ("quiet", None)], []),
    (["-Gqnx"], [("query", None), ("quiet", None), ("name", "x")], []),
    (["--name=x", "--query"], [("name", "x"), ("query", None)], []),
    (["--name", "-x"], [("name", "-x")], []),  # a required value may start with '-'
    (["-p", "st", "-G"], [("promotion", "st"), ("query", None)], []),
    (["-p", "-G"], [("promotion", None), ("query", None)], []),  # optional: not an option
    (["--promotion", "-G"], [("promotion", None), ("query", None)], []),
    (["--promotion=st"], [("promotion", "st")], []),
    (["-G", "--", "-n", "y"], [("query", None)], ["-n", "y"]),
    (["word", "-q"], [("quiet", None)], ["word"]),
])
def test_options_are_parsed_as_glib_parses_them(argv: list[str], found: list[tuple[str, str | None]],
                                                words: list[str]) -> None:
    assert parse("t", argv, OPTS) == (found, words)


@pytest.mark.parametrize(("argv", "message"), [
    (["--bogus"], "t: Unknown option --bogus"),
    (["-Gx"], "t: Unknown option -x"),
    (["-n"], "t: Missing argument for -n"),
    (["--name"], "t: Missing argument for --name"),
    (["--query=1"], "t: Option --query does not take a value"),
])
def test_bad_options_are_one_line_and_usage(argv: list[str], message: str) -> None:
    with pytest.raises(ToolError) as err:
        parse("t", argv, OPTS)
    assert (err.value.message, err.value.code) == (message, Exit.USAGE)


S = c.AttributeScope


@pytest.mark.parametrize(("argv", "env", "want"), [
    # (command, scope, name, node)
    (["-p", "-v", "5"], {"OCF_RESOURCE_INSTANCE": "st"}, ("update", S.STATUS, "master-st", None)),
    (["--promotion", "-D"], {"OCF_RESOURCE_INSTANCE": "st:1"},
     ("delete", S.STATUS, "master-st:1", None)),  # as Pacemaker: the instance name as it is
    (["-p", "db", "-G", "-l", "forever"], {}, ("query", S.NODES, "master-db", None)),
    (["-p", "db", "-G", "-N", "n2"], {}, ("query", S.STATUS, "master-db", "n2")),
    (["-N", "n1", "-n", "site", "-G"], {}, ("query", S.NODES, "site", "n1")),
    (["-N", "n1", "-n", "site"], {}, ("query", S.NODES, "site", "n1")),  # query by default
    (["-n", "site", "-l", "reboot", "-v", "1"], {}, ("update", S.STATUS, "site", None)),
    (["-n", "x", "-t", "status", "-D"], {}, ("delete", S.STATUS, "x", None)),
    (["-n", "cluster-delay", "-G"], {}, ("query", S.CRM_CONFIG, "cluster-delay", None)),
    (["-t", "rsc_defaults", "-n", "x", "-v", "1"], {}, ("update", S.RSC_DEFAULTS, "x", None)),
    (["-t", "crm_config", "-N", "n1", "-n", "x", "-G"], {}, ("query", S.CRM_CONFIG, "x", None)),
    (["-v", "1", "-n", "x", "-G"], {}, ("query", S.CRM_CONFIG, "x", None)),  # the last wins
    (["-z", "-N", "n1", "-n", "cpu", "-G"], {}, ("query", S.UTILIZATION, "cpu", "n1")),
    (["--utilization", "-n", "cpu", "-v", "2"], {}, ("update", S.UTILIZATION, "cpu", None)),
    (["--get-value", "--attr-value", "3", "-n", "x", "--delete-attr"], {},
     ("delete", S.CRM_CONFIG, "x", None)),
])
def test_what_crm_attribute_asks(argv: list[str], env: dict[str, str],
                                 want: tuple[str, S, str, str | None]) -> None:
    req = crm_attribute.parse_request(argv, env)
    assert isinstance(req, crm_attribute.Request)
    assert (req.command, req.scope, req.name, req.node) == want


@pytest.mark.parametrize(("argv", "env", "code"), [
    (["-p", "-G"], {}, Exit.USAGE),
    (["-l", "later", "-n", "x", "-G"], {}, Exit.PROTOCOL),
    (["-t", "everywhere", "-n", "x", "-G"], {}, Exit.PROTOCOL),
    (["-t", "tickets", "-n", "x", "-G"], {}, Exit.UNIMPLEMENT_FEATURE),
    (["-v", "1"], {}, Exit.USAGE),
    (["-n", "x", "-G", "stray"], {}, Exit.USAGE),
    (["-n", "x", "-G", "--output-as=xml"], {}, Exit.USAGE),
    (["-P", "(", "-G"], {}, Exit.USAGE),
])
def test_what_crm_attribute_refuses(argv: list[str], env: dict[str, str], code: Exit) -> None:
    with pytest.raises(ToolError) as err:
        crm_attribute.parse_request(argv, env)
    assert err.value.code == code and "\n" not in err.value.message


@pytest.mark.parametrize(("argv", "env", "want"), [
    (["-l", "reboot", "-v", "5"], {"OCF_RESOURCE_INSTANCE": "db"},
     ["-n", "master-db", "--lifetime", "forever", "-l", "reboot", "-v", "5"]),
    (["-r", "db", "--quiet", "--get-value", "--node", "n1"], {},
     ["-n", "master-db", "--lifetime", "forever", "-q", "--get-value", "-N", "n1"]),
    (["-N", "n1", "-l", "reboot", "-G", "-q"], {"OCF_RESOURCE_INSTANCE": "redis"},
     ["-n", "master-redis", "--lifetime", "forever", "-N", "n1", "-l", "reboot", "-G", "-q"]),
])
def test_crm_master_is_crm_attribute_with_its_defaults(argv: list[str], env: dict[str, str],
                                                       want: list[str]) -> None:
    assert crm_master.translate(argv, env) == want
    # and crm_attribute reads it as the promotion score, lifetime forever unless -l reboot
    req = crm_attribute.parse_request(want, env)
    assert isinstance(req, crm_attribute.Request) and req.name == want[1]
    assert req.scope is (S.STATUS if "reboot" in argv else S.NODES)


def test_crm_master_refuses_as_its_script_does() -> None:
    with pytest.raises(ToolError) as err:
        crm_master.translate(["-G"], {})
    assert (err.value.message, err.value.code) == ("error: No resource specified", Exit.ERROR)
    with pytest.raises(ToolError) as err:
        crm_master.translate(["-Z"], {"OCF_RESOURCE_INSTANCE": "db"})
    assert (err.value.message, err.value.code) == ("crm_master: Unknown option -Z", Exit.ERROR)


# -- the wrappers and the environment vigild gives agents --------------------------------------
def test_the_wrappers_run_vigils_tools_with_vigilds_interpreter() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tools = agent_tools.prepare(Path(tmp) / "sbin")
        assert sorted(p.name for p in tools.iterdir()) == sorted(agent_tools.TOOLS)
        for tool in agent_tools.TOOLS:
            path = tools / tool
            assert os.access(path, os.X_OK)
            text = path.read_text()
            assert f"vigil/attrs/toolclient.py {tools.resolve()}/.tool-host.sock {tool} " in text
            assert sys.executable in text
        env = {"PATH": "/usr/bin:/bin", **agent_tools.agent_environment(
            tools, f"{tmp}/none.sock", base={"PATH": "/usr/bin:/bin"})}
        assert env["PATH"] == f"{tools}:/usr/bin:/bin"
        # found through PATH first (agents call some by name); no vigild needed to parse
        ran = subprocess.run(["crm_attribute", "--frobnicate"], env=env, capture_output=True,
                             text=True, check=False, timeout=60)
        assert (ran.returncode, ran.stdout, ran.stderr) == (
            64, "", "crm_attribute: Unknown option --frobnicate\n")
        # vigild out of reach: one line, CRM_EX_DISCONNECT
        ran = subprocess.run([str(tools / "crm_node"), "-n"], env=env, capture_output=True,
                             text=True, check=False, timeout=60)
        assert ran.returncode == 102 and ran.stdout == ""
        assert ran.stderr.startswith(f"crm_node: Could not connect to vigild at {tmp}/none.sock")
        assert ran.stderr.count("\n") == 1


def test_vigild_gives_agents_its_tools_and_agent_env_wins(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = agent_env(f"{tmp}/sbin", "run/v.sock", [("HA_VARRUN", "/run/x")])
        assert env["HA_SBIN_DIR"] == f"{tmp}/sbin" and env["HA_VARRUN"] == "/run/x"
        assert env["VIGIL_SOCKET"] == os.path.abspath("run/v.sock")
        assert env["PATH"].startswith(f"{tmp}/sbin:")
        assert (Path(tmp) / "sbin" / "crm_master").exists()
        assert agent_env(f"{tmp}/sbin", "v.sock", [("HA_SBIN_DIR", "/opt")])["HA_SBIN_DIR"] == "/opt"
        assert agent_env("", "v.sock", [("X", "1")]) == {"X": "1"}
        blocker = Path(tmp) / "file"
        blocker.write_text("")
        with caplog.at_level(logging.ERROR):
            assert agent_env(f"{blocker}/sbin", "v.sock") == {}
        assert "cannot write the agents' tools" in caplog.text


def test_crm_node_name_in_an_agent_is_answered_by_the_wrapper_as_by_the_tool() -> None:
    """The wrapper's shortcut for `crm_node -n` (no Python started) says what the tool says."""
    with tempfile.TemporaryDirectory() as tmp:
        tools = agent_tools.prepare(Path(tmp) / "sbin")
        base = {"PATH": "/usr/bin:/bin", **agent_tools.agent_environment(
            tools, f"{tmp}/none.sock", base={"PATH": "/usr/bin:/bin"})}
        env = {**base, "OCF_RESKEY_CRM_meta_on_node": "node 2"}
        for flag in ("-n", "--name"):
            fast = subprocess.run([str(tools / "crm_node"), flag], env=env, capture_output=True,
                                  text=True, check=False, timeout=60)
            tool = subprocess.run([sys.executable, "-m", "vigil.attrs.crm_node", flag], env=env,
                                  capture_output=True, text=True, check=False, timeout=60)
            assert (fast.returncode, fast.stdout, fast.stderr) == (0, "node 2\n", "")
            assert (tool.returncode, tool.stdout, tool.stderr) == (0, "node 2\n", "")
        # anything else, or outside an agent, is the tool's: here vigild is out of reach
        for argv, extra in ((["-n"], {}), (["-p"], {"OCF_RESKEY_CRM_meta_on_node": "n2"}),
                            (["-n", "-V"], {"OCF_RESKEY_CRM_meta_on_node": "n2"})):
            ran = subprocess.run([str(tools / "crm_node"), *argv], env={**base, **extra},
                                 capture_output=True, text=True, check=False, timeout=60)
            if argv == ["-n", "-V"]:
                assert (ran.returncode, ran.stdout) == (0, "n2\n"), ran  # the tool's own answer
            else:
                assert (ran.returncode, ran.stdout) == (102, ""), (argv, ran)

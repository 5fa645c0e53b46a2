"""`vigil` imports the module of the command that runs, not every command's: the pcs-grammar
commands are named in a table (cli.pcs.COMMANDS) and the lab is loaded on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.cli import pcs

SRC = Path(__file__).resolve().parents[2] / "src"
EXAMPLE = SRC.parent / "examples" / "web-failover.xml"


@pytest.mark.parametrize("word", sorted(pcs.COMMANDS))
def test_every_command_names_a_function(word: str) -> None:
    assert callable(pcs.COMMANDS[word].handler())


def test_simulate_imports_neither_the_lab_nor_the_daemon_client() -> None:
    probe = ("import sys, io\n"
             "from vigil.cli import main\n"
             "sys.stdout = io.StringIO()\n"
             f"code = main.main(['simulate', '--xml-file', {str(EXAMPLE)!r}])\n"
             "sys.stdout = sys.__stdout__\n"
             "heavy = ('vigil.lab.lab', 'vigil.fencer', 'vigil.daemon', 'vigil.commands.edit',\n"
             "         'vigil.cli.resource_cli', 'asyncio')\n"
             "print(code, sorted(m for m in sys.modules if m.startswith(heavy)))\n")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr

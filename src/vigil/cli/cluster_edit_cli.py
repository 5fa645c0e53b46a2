"""`vigil cluster edit [--config]` and `vigil cluster corosync`: pcs's ways to open the CIB in
an editor and to print corosync.conf."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import config, quorum
from vigil.model import reports
from vigil.model.reports import ReportError


def run_edit(inv: Invocation, words: list[str]) -> int:
    """`cluster edit [scope=configuration | --config]`: the CIB (of -f FILE or the running
    cluster) in $EDITOR; when the editor exits 0 with the file changed, it is pushed as
    `cluster cib-push` pushes (validated first: a wrong edit changes nothing). With --config
    only the configuration goes back (the status the editor saw is not pushed)."""
    inv.only("config")
    for word in words:
        if word == "scope=configuration":
            inv.config = True
        else:
            raise UsageError(f"unexpected '{word}': cluster edit edits the whole CIB, or with "
                             "--config (scope=configuration) its configuration")
    editor = os.environ.get("EDITOR", "")
    if not editor.strip():
        raise UsageError("$EDITOR is not set: cluster edit opens the CIB in that editor")
    env = inv.env()
    text = config.cib_xml(env)
    with tempfile.TemporaryDirectory(prefix="vigil-edit-") as where:
        path = Path(where) / "cib.xml"
        path.write_text(text)
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            raise UsageError(f"$EDITOR '{editor}' cannot run: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise UsageError(f"the editor exited with status {done.returncode}: nothing was "
                             "pushed")
        if path.read_text() == text:
            sys.stderr.write("the CIB was not changed: nothing to push\n")
            return EXIT_OK
        return args.finish(inv, config.cib_push(env, str(path), config_only=inv.config))


def run_corosync(inv: Invocation, words: list[str]) -> int:
    """`cluster corosync [NODE]`: this node's corosync.conf (or --corosync_conf PATH) as it is
    on disk. Another node's is on that node: vigil reads this machine's only."""
    import socket

    inv.only("corosync_conf")
    if inv.file is not None:
        raise UsageError("cluster corosync prints corosync.conf, not a CIB file: give "
                         "--corosync_conf PATH to name another file")
    args.no_more(words[1:], words[0] if words else "cluster corosync")
    here = socket.gethostname().split(".")[0]
    if words and words[0] not in (here, "localhost"):
        raise UsageError(f"cluster corosync prints this node's corosync.conf ({here}): run it "
                         f"on {words[0]}")
    path = quorum.conf_path(inv.corosync_conf)
    try:
        sys.stdout.write(Path(path).read_text())
    except FileNotFoundError:
        raise ReportError([reports.error("COROSYNC_CONF_NOT_FOUND", path=path)]) from None
    except OSError as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=path,
                                         detail=exc.strerror or str(exc))]) from None
    return EXIT_OK

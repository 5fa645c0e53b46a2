"""What the agents' tools share: Pacemaker's exit codes, GLib-style option parsing, and the
requests to the local vigild.

Errors end a tool with one line on stderr, prefixed with the tool's name as Pacemaker's tools
print them, and the exit code Pacemaker's tool gives in that case.
"""

from __future__ import annotations

import enum
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil.daemon import control as c
from vigil.host import jsonlines

DEFAULT_SOCKET = "/run/vigil/vigild.sock"  # vigil.daemon.ipc.DEFAULT_SOCKET (not imported: slow)
SOCKET_ENV = "VIGIL_SOCKET"
NOT_READY_WAIT_S = 20.0  # how long a request waits for vigild to be in step with its view
REQUEST_TIMEOUT_S = 60.0


class Exit(enum.IntEnum):
    """Pacemaker's crm_exit_t values the tools use."""

    OK = 0
    ERROR = 1
    INVALID_PARAM = 2
    UNIMPLEMENT_FEATURE = 3
    INSUFFICIENT_PRIV = 4
    USAGE = 64
    DATAERR = 65
    UNAVAILABLE = 69
    SOFTWARE = 70
    PROTOCOL = 76
    CONFIG = 78
    DISCONNECT = 102
    NOSUCH = 105
    QUORUM = 106
    TIMEOUT = 124


class ToolError(Exception):
    """Ends the tool: `message` on stderr (one line), exit `code`."""

    def __init__(self, message: str, code: Exit) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- options ---------------------------------------------------------------------------------
class Arg(enum.Enum):
    NONE = "none"
    REQUIRED = "required"
    OPTIONAL = "optional"  # GLib's OPTIONAL_ARG: attached, or the next word if not an option


@dataclass(frozen=True)
class Opt:
    key: str
    short: str | None = None
    long: tuple[str, ...] = ()
    arg: Arg = Arg.NONE


def parse(prog: str, argv: Sequence[str], opts: Sequence[Opt]
          ) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(options in the order given as (key, value), other words), as GLib parses them:
    `-abc` clusters, `-nVALUE` / `-n VALUE`, `--name=VALUE` / `--name VALUE`, `--` ends
    options. An unknown option or a missing value: ToolError USAGE, one line, as GLib says it."""
    by_short = {o.short: o for o in opts if o.short}
    by_long = {name: o for o in opts for name in o.long}
    found: list[tuple[str, str | None]] = []
    words: list[str] = []
    i = 0
    args = list(argv)

    def next_word(optional: bool) -> str | None:
        nonlocal i
        if i + 1 < len(args) and not (optional and args[i + 1].startswith("-")):
            i += 1
            return args[i]
        return None

    while i < len(args):
        word = args[i]
        if word == "--":
            words += args[i + 1:]
            break
        if word.startswith("--"):
            name, eq, attached = word[2:].partition("=")
            opt = by_long.get(name)
            if opt is None:
                raise ToolError(f"{prog}: Unknown option {word}", Exit.USAGE)
            value: str | None = None
            if opt.arg is Arg.NONE:
                if eq:
                    raise ToolError(f"{prog}: Option --{name} does not take a value", Exit.USAGE)
            elif eq:
                value = attached
            else:
                value = next_word(opt.arg is Arg.OPTIONAL)
                if value is None and opt.arg is Arg.REQUIRED:
                    raise ToolError(f"{prog}: Missing argument for --{name}", Exit.USAGE)
            found.append((opt.key, value))
        elif word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                ch = word[j]
                opt = by_short.get(ch)
                if opt is None:
                    raise ToolError(f"{prog}: Unknown option -{ch}", Exit.USAGE)
                if opt.arg is Arg.NONE:
                    found.append((opt.key, None))
                    j += 1
                    continue
                rest = word[j + 1:]
                if rest:
                    value = rest
                else:
                    value = next_word(opt.arg is Arg.OPTIONAL)
                    if value is None and opt.arg is Arg.REQUIRED:
                        raise ToolError(f"{prog}: Missing argument for -{ch}", Exit.USAGE)
                found.append((opt.key, value))
                break
        else:
            words.append(word)
        i += 1
    return found, words


# -- vigild ----------------------------------------------------------------------------------
def socket_path() -> str:
    return os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET


def ask(prog: str, request: c.RequestOf[c.B]) -> c.Answer[c.B] | c.Refused:
    """One request to the local vigild, its reply; while vigild is not in step with its view
    (CIB_NOT_READY), asked again for up to NOT_READY_WAIT_S. vigild out of reach: ToolError
    DISCONNECT, as Pacemaker's tools say when they cannot reach the cluster."""
    path = socket_path()
    deadline = time.monotonic() + NOT_READY_WAIT_S
    while True:
        try:
            obj = jsonlines.exchange(path, c.encode_request(request), timeout=REQUEST_TIMEOUT_S)
            reply = c.decode_reply(request, obj)
        except OSError as exc:
            raise ToolError(f"{prog}: Could not connect to vigild at {path}: "
                            f"{exc.strerror or exc}", Exit.DISCONNECT) from None
        except ValueError as exc:
            raise ToolError(f"{prog}: vigild answered something unreadable: {exc}",
                            Exit.PROTOCOL) from None
        if (isinstance(reply, c.Refused) and time.monotonic() < deadline
                and any(r.code == c.CIB_NOT_READY for r in reply.reports)):
            time.sleep(0.2)
            continue
        return reply


def answer(prog: str, request: c.RequestOf[c.B]) -> c.B:
    """The body of the reply; a refusal is a ToolError (NODE_NOT_FOUND: NOSUCH)."""
    reply = ask(prog, request)
    if isinstance(reply, c.Answer):
        return reply.body
    raise refusal(prog, reply)


def refusal(prog: str, reply: c.Refused) -> ToolError:
    first = reply.reports[0] if reply.reports else None
    code = first.code if first is not None else c.DAEMON_ERROR
    if code == c.NODE_NOT_FOUND:
        node = first.field("node") if first is not None else None
        return ToolError(f"{prog}: Could not map name={node} to a UUID", Exit.NOSUCH)
    if code == c.CIB_NOT_READY:
        return ToolError(f"{prog}: Error performing operation: vigild is not in step with the "
                         "cluster yet (try again)", Exit.UNAVAILABLE)
    if code == c.IPC_TIMEOUT:
        return ToolError(f"{prog}: Error performing operation: the cluster did not answer in "
                         "time", Exit.TIMEOUT)
    if code == c.IPC_ACCESS_DENIED:
        return ToolError(f"{prog}: Error performing operation: vigild refused access (run as "
                         "root or a member of haclient)", Exit.INSUFFICIENT_PRIV)
    detail = first.field("detail") if first is not None else None
    return ToolError(f"{prog}: Error performing operation: {code}"
                     + (f" ({detail})" if detail else ""), Exit.ERROR)


def main(prog: str, run: Callable[[list[str]], int], argv: Sequence[str] | None = None) -> int:
    """Run a tool: its exit code; a ToolError printed as one line on stderr."""
    try:
        return run(list(sys.argv[1:] if argv is None else argv))
    except ToolError as exc:
        print(exc.message, file=sys.stderr)
        return int(exc.code)
    except BrokenPipeError:
        return int(Exit.OK)
    except KeyboardInterrupt:
        return 130

"""corosync.conf as a tree, read and written back without losing what vigil does not know. Pure.

`render_corosync_conf` makes a whole new file from a `ClusterConf`; commands that change one part
of a file already in use (a quorum device) parse it with `parse`, edit the tree and `render` it.
Sections, options, comments and blank lines are kept in their order; indentation is rewritten
with tabs, as Corosync's own example and vigil's renderer write it, so a file vigil rendered
comes back byte for byte.

The grammar is Corosync's (`coroparse.c`): `name {` opens a section, `}` closes it, `key: value`
is an option (the value is everything after the first colon, stripped), `#` starts a comment
line. Anything else is an error with its line number.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from vigil.model import reports
from vigil.model.reports import ReportError

_OPEN = re.compile(r"^([^\s{}:#]+)\s*\{$")


@dataclass(frozen=True)
class Option:
    name: str
    value: str


@dataclass(frozen=True)
class Comment:
    """A comment line (with its `#`) or, when empty, a blank line."""

    text: str


@dataclass(frozen=True)
class Section:
    name: str
    body: tuple[Entry, ...] = ()

    def sections(self, name: str) -> Iterator[Section]:
        return (e for e in self.body if isinstance(e, Section) and e.name == name)

    def section(self, name: str) -> Section | None:
        """The first subsection called `name`."""
        return next(self.sections(name), None)

    def get(self, name: str) -> str | None:
        """The value of option `name` (the last one wins, as in Corosync)."""
        found = [e.value for e in self.body if isinstance(e, Option) and e.name == name]
        return found[-1] if found else None

    def options(self) -> tuple[tuple[str, str], ...]:
        return tuple((e.name, e.value) for e in self.body if isinstance(e, Option))


Entry = Option | Comment | Section


def parse(text: str) -> Section:
    """The file as a root section (named ""). Raises ReportError COROSYNC_CONF_SYNTAX."""
    stack: list[tuple[str, list[Entry]]] = [("", [])]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        body = stack[-1][1]
        if not line or line.startswith("#"):
            body.append(Comment(line))
            continue
        opened = _OPEN.match(line)
        if opened:
            stack.append((opened.group(1), []))
            continue
        if line == "}":
            if len(stack) == 1:
                raise _syntax(number, "'}' closes no section")
            name, entries = stack.pop()
            stack[-1][1].append(Section(name, tuple(entries)))
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip() or any(c in key for c in "{}"):
            raise _syntax(number, f"'{line}' is not 'name: value', 'name {{' or '}}'")
        body.append(Option(key.strip(), value.strip()))
    if len(stack) > 1:
        raise _syntax(len(text.splitlines()), f"section '{stack[-1][0]}' is not closed")
    return Section("", tuple(stack[0][1]))


def _syntax(line: int, reason: str) -> ReportError:
    return ReportError([reports.error("COROSYNC_CONF_SYNTAX", line=line, reason=reason)])


def render(root: Section) -> str:
    """The text of a root section (what `parse` returns), ending with a newline."""
    return "\n".join(entry_lines(root.body, 0)) + "\n"


def entry_lines(entries: Sequence[Entry], depth: int) -> list[str]:
    pad = "\t" * depth
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, Comment):
            out.append(f"{pad}{entry.text}" if entry.text else "")
        elif isinstance(entry, Option):
            out.append(f"{pad}{entry.name}: {entry.value}")
        else:
            out.append(f"{pad}{entry.name} {{")
            out += entry_lines(entry.body, depth + 1)
            out.append(f"{pad}}}")
    return out


# -- editing -----------------------------------------------------------------------------------
def set_options(section: Section, values: Sequence[tuple[str, str | None]]) -> Section:
    """Options set in place (a new one appended after the last option), or removed with None."""
    body = list(section.body)
    for name, value in values:
        at = [i for i, e in enumerate(body) if isinstance(e, Option) and e.name == name]
        if value is None:
            body = [e for i, e in enumerate(body) if i not in at]
        elif at:
            body[at[-1]] = Option(name, value)
            body = [e for i, e in enumerate(body) if i not in at[:-1]]
        else:
            last = max((i for i, e in enumerate(body) if isinstance(e, Option)), default=-1)
            body.insert(last + 1, Option(name, value))
    return dataclasses.replace(section, body=tuple(body))


def put_section(section: Section, new: Section | None, *, name: str) -> Section:
    """Every subsection called `name` replaced by `new` (at the first one's place, else at the
    end), or removed when `new` is None."""
    body: list[Entry] = []
    placed = False
    for entry in section.body:
        if isinstance(entry, Section) and entry.name == name:
            if new is not None and not placed:
                body.append(new)
            placed = True
            continue
        body.append(entry)
    if new is not None and not placed:
        body.append(new)
    return dataclasses.replace(section, body=tuple(body))

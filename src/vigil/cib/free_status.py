"""The status section as Pacemaker's schemas give it: any attributes, elements and text.

Every pacemaker-*.rng gives <status> the pattern of status-1.0.rng, which matches whatever the
section holds: validating its content can find nothing. In a large CIB that content is nearly
all of the document (10.6 of the 11.4 MB of 32 nodes x 2000 resources) and most of libxml2's
validating time, so a CIB is validated as a stand-in with the same root and sections, copied,
and its status section emptied. The stand-in is used only where that is provably the same:

- the schema's own files say the section is free (`is_free`): the <status> element of the
  schema file is exactly a reference to a grammar whose start is one define,
      zeroOrMore(choice(attribute(anyName, text), element(anyName, <that define>), text));
  a schema of any other form (one that constrains the status) validates the document whole;
- nothing in the section can take part in the ID checks of the rest: the document was
  parsed by cib.document, which collects no ids while parsing (no xml:id, no DTD-declared
  ID attributes), so the only ids are those the schema's own ID types register, and the free
  pattern has none.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

_RNG = "{http://relaxng.org/ns/structure/1.0}"


def is_free(schema_path: Path, etree: Any) -> bool:
    """Whether the schema in `schema_path` lets the CIB's <status> hold anything."""
    try:
        top = etree.parse(str(schema_path)).getroot()
        statuses = [el for el in top.iter(f"{_RNG}element") if el.get("name") == "status"]
        if len(statuses) != 1:
            return False
        ref = _only(statuses[0], "externalRef")
        if ref is None:
            return False
        grammar = etree.parse(str(schema_path.parent / ref.get("href", ""))).getroot()
        return _is_free_grammar(grammar)
    except (OSError, etree.XMLSyntaxError):
        return False


def _patterns(el: Any) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str)]


def _only(el: Any, tag: str) -> Any | None:
    """The single child pattern of `el`, if it is a `tag`; None otherwise."""
    children = _patterns(el)
    return children[0] if len(children) == 1 and children[0].tag == f"{_RNG}{tag}" else None


def _is_free_grammar(grammar: Any) -> bool:
    if grammar.tag != f"{_RNG}grammar":
        return False
    parts = _patterns(grammar)
    starts = [p for p in parts if p.tag == f"{_RNG}start"]
    defines = [p for p in parts if p.tag == f"{_RNG}define"]
    if len(starts) != 1 or len(defines) != 1 or len(parts) != 2:
        return False
    start_ref = _only(starts[0], "ref")
    define = defines[0]
    name = define.get("name")
    if start_ref is None or start_ref.get("name") != name or define.get("combine"):
        return False
    repeat = _only(define, "zeroOrMore")
    choice = _only(repeat, "choice") if repeat is not None else None
    if choice is None:
        return False
    found = sorted(c.tag.removeprefix(_RNG) for c in _patterns(choice))
    if found != ["attribute", "element", "text"]:
        return False
    for branch in _patterns(choice):
        kind = branch.tag.removeprefix(_RNG)
        inner = [c.tag.removeprefix(_RNG) for c in _patterns(branch)]
        if kind == "text" and (inner or branch.get("name")):
            return False
        if kind == "attribute" and (inner != ["anyName", "text"] or branch.get("name")):
            return False
        if kind == "element" and (inner != ["anyName", "ref"] or branch.get("name")
                                  or _patterns(branch)[1].get("name") != name):
            return False
        if kind != "text" and _patterns(_patterns(branch)[0]):
            return False  # anyName with an <except>: not every name
    return True


def stand_in(root: Any, etree: Any) -> Any:
    """What to validate for `root` (parsed by cib.document) under a schema whose status is
    free: `root` itself, or a copy with the content of its <status> left out (see above)."""
    statuses = [c for c in root if c.tag == "status"]
    if not any(len(s) or (s.text or "").strip() for s in statuses):
        return root
    copied = etree.Element(root.tag, dict(root.attrib), nsmap=root.nsmap)
    copied.text = root.text
    for child in root:
        if child.tag == "status":
            empty = etree.SubElement(copied, child.tag, dict(child.attrib))
            empty.tail = child.tail
        else:
            copied.append(copy.deepcopy(child))  # with its tail
    return copied

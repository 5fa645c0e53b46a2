"""A CIB checked against Pacemaker's own RelaxNG schemas, the ones pacemaker-common installs.

The CIB's `validate-with` names the schema (`pacemaker-3.9` is pacemaker-3.9.rng in the schema
directory); lxml (libxml2) does the validating, so what passes here is what Pacemaker's own
tools accept. Each compiled schema is kept for the life of the process: compiling one takes
tens of milliseconds, validating a CIB well under one, so vigild can check every write.

libxml2 says what went wrong in RelaxNG's terms ("Invalid sequence in interleave", "Element
configuration failed to validate content"), which names the wrong element only sometimes. For
the common mistakes the document is explained again with the schema's vocabulary (which
elements and attributes each element may have, which attributes it needs, which values an
attribute takes), read from the same .rng files, and each mistake becomes a report naming the
element, its path and what to do; anything else is reported with libxml2's own words.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.cib import document, free_status
from vigil.model import reports
from vigil.model.reports import Report, ReportError

# Where pacemaker-common puts the schemas; VIGIL_SCHEMA_DIR points elsewhere (tests, builds).
DEFAULT_DIR = "/usr/share/pacemaker"
NONE = "none"  # validate-with="none": Pacemaker's own switch that turns validation off

_RNG = "{http://relaxng.org/ns/structure/1.0}"
_VERSIONED = re.compile(r"^pacemaker-(\d+)\.(\d+)$")
# libxml2's error types that are consequences of an earlier error, not a cause to show
_ECHOES = frozenset({"RELAXNG_ERR_CONTENTVALID", "RELAXNG_ERR_EXTRACONTENT",
                     "RELAXNG_ERR_INTERSEQ", "RELAXNG_ERR_INTEREXTRA", "RELAXNG_OK",
                     "RELAXNG_ERR_ATTRVALID",
                     # libxml2 registers an id again when it backtracks over an element that
                     # failed: "ID x redefined" is believed only when nothing else is wrong
                     "RELAXNG_ERR_DUPID"})
# elements whose "id" is a reference to another element's, not an id of their own
_REFERRING = frozenset({"resource_ref", "obj_ref", "role_ref", "role"})
_IDREF = re.compile(r'IDREF attribute (\S+) references an unknown ID "(.*)"')
_DUPID = re.compile(r"ID (\S+) redefined")
_INVALID_ATTR = re.compile(r"Invalid attribute (\S+) for element (\S+)")
_TYPE_REFUSES = re.compile(r"Type (\S+) doesn't allow value '(.*)'")
_WANTED_ELEMENT = re.compile(r"Expecting an element (\S+), got nothing")


def _etree() -> Any:
    # Imported when a CIB is first checked, not with this module: the agents' tools (vigild's
    # crm_resource, crm_attribute...) run with `python3 -S`, without site-packages, and never
    # check a CIB themselves (what they push, vigild checks).
    from lxml import etree

    return etree


def schema_dir() -> Path:
    return Path(os.environ.get("VIGIL_SCHEMA_DIR", DEFAULT_DIR))


def installed(directory: Path | None = None) -> tuple[str, ...]:
    """The versioned schemas installed (`pacemaker-1.0` ... `pacemaker-3.9`), oldest first."""
    found = []
    for path in (directory or schema_dir()).glob("pacemaker-*.rng"):
        m = _VERSIONED.match(path.stem)
        if m:
            found.append(((int(m.group(1)), int(m.group(2))), path.stem))
    return tuple(name for _key, name in sorted(found))


def newest(directory: Path | None = None) -> str | None:
    """The newest installed schema, the one a new CIB names (as `cibadmin --empty` does)."""
    names = installed(directory)
    return names[-1] if names else None


def empty_cib_xml(validate_with: str | None) -> str:
    """The CIB `cibadmin --empty` makes: the four configuration sections, an empty status."""
    schema = f' validate-with="{validate_with}"' if validate_with else ""
    return (f'<cib{schema} epoch="1" num_updates="0" admin_epoch="0">\n'
            "  <configuration>\n    <crm_config/>\n    <nodes/>\n    <resources/>\n"
            "    <constraints/>\n  </configuration>\n  <status/>\n</cib>\n")


# -- checking ----------------------------------------------------------------------------------
def check(data: bytes | str) -> tuple[Report, ...]:
    """What Pacemaker's schema says about the CIB document in `data` (errors, and a warning
    when validation is off or the schemas are missing). Not well-formed XML is the reader's
    to report (CIB_NOT_XML): this returns nothing for it."""
    try:
        root = document.parse(data.encode("utf-8") if isinstance(data, str) else data)
    except ReportError:
        return ()
    return check_tree(root)


def check_tree(root: Any) -> tuple[Report, ...]:
    """`check` for a document parsed already by cib.document (no other parser: see
    cib.free_status), so that the tree the schema checks is the one the model is read from."""
    if root.tag != "cib":
        return ()  # not a CIB at all: the reader says so (CIB_WRONG_ROOT)
    directory = schema_dir()
    name = root.get("validate-with")
    if name == NONE:
        return (reports.warning("CIB_SCHEMA_VALIDATION_DISABLED"),)
    newest_name = newest(directory)
    if newest_name is None:
        return (reports.warning("CIB_SCHEMAS_NOT_INSTALLED", directory=str(directory)),)
    if name is None:
        name = newest_name  # as Pacemaker does for a CIB without one: the newest it knows
    path = directory / f"{name}.rng"
    if not (_VERSIONED.match(name) or name == "pacemaker-next") or not path.is_file():
        return (reports.error("CIB_SCHEMA_UNKNOWN", value=name, directory=str(directory),
                              newest=newest_name),)
    compiled = _Compiled.of(path)
    errors = compiled.validate(root)
    if not errors:
        return ()
    return tuple(_explain(root, name, compiled, errors))


@dataclass(frozen=True)
class _LibxmlError:
    kind: str
    path: str
    message: str


class _Compiled:
    """One schema file: lxml's validator and, when first needed, its vocabulary."""

    _cache: dict[Path, _Compiled] = {}
    _cache_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._relaxng = _etree().RelaxNG(_etree().parse(str(path)))
        self._lock = threading.Lock()  # an lxml validator is not for two threads at once
        self._vocabulary: Vocabulary | None = None
        self._status_is_free = free_status.is_free(path, _etree())

    @classmethod
    def of(cls, path: Path) -> _Compiled:
        with cls._cache_lock:
            compiled = cls._cache.get(path)
            if compiled is None:
                compiled = cls._cache[path] = cls(path)
            return compiled

    def validate(self, root: Any) -> list[_LibxmlError]:
        # the status section's content left out where the schema lets it hold anything
        checked = free_status.stand_in(root, _etree()) if self._status_is_free else root
        with self._lock:
            if self._relaxng.validate(checked):
                return []
            return [_LibxmlError(str(e.type_name), str(e.path or ""), str(e.message))
                    for e in self._relaxng.error_log]

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.read(self.path)
        return self._vocabulary


# -- explaining --------------------------------------------------------------------------------
def _explain(root: Any, schema: str, compiled: _Compiled,
             errors: list[_LibxmlError]) -> Iterator[Report]:
    # libxml2 leaves the ids of an element that failed unregistered, so that references to
    # it look dangling too: only an id no element of the document has is one
    ids = {el.get("id") for el in root.iter()
           if isinstance(el.tag, str) and el.tag not in _REFERRING}
    dangling = [reports.error("CIB_SCHEMA_DANGLING_IDREF", attribute=m.group(1), id=m.group(2),
                              schema=schema)
                for m in (_IDREF.search(e.message) for e in errors)
                if m and m.group(2) not in ids]
    found = list(_vocabulary_mistakes(root, schema, compiled.vocabulary))
    causes = [e for e in errors if e.kind not in _ECHOES]
    if found:
        yield from found
    elif causes:
        yield _libxml_report(root, schema, causes[0])
    elif not dangling:
        duplicate = next((m for m in (_DUPID.search(e.message) for e in errors) if m), None)
        if duplicate:
            yield reports.error("CIB_SCHEMA_DUPLICATE_ID", id=duplicate.group(1), schema=schema)
        else:
            yield _libxml_report(root, schema, errors[0])
    yield from dangling


def _where(el: Any) -> str:
    """The element's path, each step with its id when it has one: /cib/configuration/
    resources/primitive[@id='web']."""
    steps = []
    while el is not None:
        el_id = el.get("id")
        steps.append(f"{el.tag}[@id='{el_id}']" if el_id else str(el.tag))
        el = el.getparent()
    return "/" + "/".join(reversed(steps))


def _suggest(word: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known - {word}), n=1)
    return close[0] if close else ""


def _vocabulary_mistakes(root: Any, schema: str, vocab: Vocabulary) -> Iterator[Report]:
    """Elements and attributes the schema has no place for, required attributes missing and
    values outside an attribute's list, in document order."""
    if root.tag not in vocab.elements:
        return
    stack = [root]
    while stack:
        el = stack.pop()
        info = vocab.elements[el.tag]
        path = _where(el)
        if not info.any_attribute:
            for name, value in el.attrib.items():
                if name not in info.attributes:
                    yield reports.error("CIB_SCHEMA_UNKNOWN_ATTRIBUTE", element=el.tag,
                                        attribute=name, path=path, schema=schema,
                                        suggestion=_suggest(name, info.attributes))
                    continue
                allowed = info.values.get(name)
                if allowed is not None and value not in allowed:
                    yield reports.error("CIB_SCHEMA_BAD_VALUE", element=el.tag, attribute=name,
                                        value=value, path=path, schema=schema,
                                        allowed=", ".join(sorted(allowed)))
        for name in sorted(info.required - set(el.attrib)):
            yield reports.error("CIB_MISSING_ATTRIBUTE", element=el.tag, attribute=name,
                                path=path)
        if info.any_child:
            continue  # the status section: anything goes below
        children = [c for c in el if isinstance(c.tag, str)]
        for child in children:
            if child.tag not in info.children or child.tag not in vocab.elements:
                yield reports.error("CIB_SCHEMA_UNKNOWN_ELEMENT", element=child.tag,
                                    parent=el.tag, path=_where(child), schema=schema,
                                    suggestion=_suggest(child.tag, info.children))
        stack.extend(reversed([c for c in children
                               if c.tag in info.children and c.tag in vocab.elements]))


def _libxml_report(root: Any, schema: str, first: _LibxmlError) -> Report:
    """An error libxml2 gives as a cause, in words where it has a common form."""
    # libxml2's path has no positions: it names one element only when there is one such
    found = root.getroottree().xpath(first.path) if first.path.startswith("/") else []
    el = found[0] if len(found) == 1 else None
    path = _where(el) if el is not None else first.path
    m = _INVALID_ATTR.search(first.message)
    if m and el is not None and el.get(m.group(1)) is not None:
        # the attribute is one the element may have (else the vocabulary would have said so):
        # its value is what the schema refuses
        return reports.error("CIB_SCHEMA_BAD_VALUE", element=el.tag, attribute=m.group(1),
                             value=el.get(m.group(1)), path=path, schema=schema, allowed="")
    m = _TYPE_REFUSES.search(first.message)
    named = [k for k, v in el.attrib.items() if v == m.group(2)] if m and el is not None else []
    if m and el is not None and len(named) == 1:
        return reports.error("CIB_SCHEMA_BAD_VALUE", element=el.tag, attribute=named[0],
                             value=m.group(2), path=path, schema=schema,
                             allowed=f"a value of type {m.group(1)}")
    m = _WANTED_ELEMENT.search(first.message)
    if m:
        return reports.error("CIB_SCHEMA_MISSING_ELEMENT", element=m.group(1), path=path,
                             schema=schema)
    return reports.error("CIB_SCHEMA_INVALID", path=path, schema=schema, detail=first.message)


# -- the schema's vocabulary -------------------------------------------------------------------
@dataclass
class ElementInfo:
    """What an element of a given name may hold, over every place the schema defines one."""

    attributes: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    children: frozenset[str] = frozenset()
    values: dict[str, frozenset[str] | None] = field(default_factory=dict)
    any_attribute: bool = False
    any_child: bool = False


@dataclass
class _Definition:
    attributes: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    values: dict[str, frozenset[str] | None] = field(default_factory=dict)
    any_attribute: bool = False
    any_child: bool = False


class _Grammar:
    def __init__(self, parent: _Grammar | None) -> None:
        self.parent = parent
        self.defines: dict[str, list[Any]] = {}
        self.start: list[Any] = []


@dataclass
class Vocabulary:
    elements: dict[str, ElementInfo]

    @classmethod
    def read(cls, path: Path) -> Vocabulary:
        walker = _Walker()
        top = _Definition()
        walker.external(path, None, top, required=True, depth=0)
        merged: dict[str, ElementInfo] = {}
        for name, defs in walker.definitions.items():
            values: dict[str, frozenset[str] | None] = {}
            for d in defs:
                for attr, allowed in d.values.items():
                    values[attr] = _either(values, attr, allowed)
            merged[name] = ElementInfo(
                attributes=frozenset().union(*(d.attributes for d in defs)),
                required=frozenset.intersection(*(frozenset(d.required) for d in defs)),
                children=frozenset().union(*(d.children for d in defs)),
                values=values,
                any_attribute=any(d.any_attribute for d in defs),
                any_child=any(d.any_child for d in defs))
        return cls(merged)


class _Walker:
    """Reads RelaxNG's XML syntax: grammars, includes, external and parent references."""

    _MAX_DEPTH = 400

    def __init__(self) -> None:
        self.definitions: dict[str, list[_Definition]] = {}
        # lxml makes a new Python proxy for a node each time it is reached, so a node is known
        # by its file and path, not by id(); grammars are kept alive so that their ids stay
        self._seen: set[tuple[str, int]] = set()
        self._alive: list[_Grammar] = []
        self._grammars: dict[tuple[str, int], tuple[_Grammar, Any]] = {}
        self._files: dict[str, Any] = {}

    def _load(self, path: Path) -> Any:
        key = str(path)
        if key not in self._files:
            self._files[key] = _etree().parse(key).getroot()
        return self._files[key]

    def external(self, path: Path, parent: _Grammar | None, target: _Definition, *,
                 required: bool, depth: int) -> None:
        key = (str(path), id(parent))
        if key not in self._grammars:
            root = self._load(path)
            grammar = _Grammar(parent)
            self._alive.append(grammar)
            if root.tag == f"{_RNG}grammar":
                self._fill(grammar, root, path.parent)
            self._grammars[key] = (grammar, root)
        grammar, root = self._grammars[key]
        if root.tag == f"{_RNG}grammar":
            for pattern in grammar.start:
                self.pattern(pattern, grammar, target, required=required, depth=depth + 1)
        else:
            self.pattern(root, grammar, target, required=required, depth=depth + 1)

    def _fill(self, grammar: _Grammar, node: Any, base: Path) -> None:
        """The start and defines of a <grammar> (or <include>, <div>) into `grammar`; patterns
        of the same name combine (RelaxNG's combine="choice" or "interleave")."""
        for child in node:
            tag = child.tag
            if tag == f"{_RNG}start":
                grammar.start.extend((c, base) for c in child if isinstance(c.tag, str))
            elif tag == f"{_RNG}define":
                grammar.defines.setdefault(child.get("name"), []).extend(
                    (c, base) for c in child if isinstance(c.tag, str))
            elif tag == f"{_RNG}div":
                self._fill(grammar, child, base)
            elif tag == f"{_RNG}include":
                href = base / child.get("href")
                included = _Grammar(grammar.parent)
                self._alive.append(included)
                self._fill(included, self._load(href), href.parent)
                overrides = _Grammar(grammar.parent)
                self._fill(overrides, child, base)  # the include's own start and defines win
                if overrides.start:
                    included.start = overrides.start
                included.defines.update(overrides.defines)
                grammar.start.extend(included.start)
                for name, patterns in included.defines.items():
                    grammar.defines.setdefault(name, []).extend(patterns)

    def pattern(self, item: Any, grammar: _Grammar, target: _Definition, *, required: bool,
                depth: int) -> None:
        node, base = item if isinstance(item, tuple) else (item, None)
        if depth > self._MAX_DEPTH or not isinstance(node.tag, str):
            return
        tag = node.tag.removeprefix(_RNG)
        children = [(c, base) for c in node if isinstance(c.tag, str)]

        def each(req: bool, g: _Grammar = grammar) -> None:
            for child in children:
                self.pattern(child, g, target, required=req, depth=depth + 1)

        if tag == "element":
            self._element(node, base, grammar, target, depth)
        elif tag == "attribute":
            self._attribute(node, grammar, target, required=required, depth=depth)
        elif tag in ("optional", "zeroOrMore", "choice"):
            each(False)
        elif tag in ("oneOrMore", "group", "interleave", "mixed", "div"):
            each(required)
        elif tag in ("ref", "parentRef"):
            g = grammar if tag == "ref" else grammar.parent
            if g is not None:
                for pattern in g.defines.get(node.get("name"), []):
                    self.pattern(pattern, g, target, required=required, depth=depth + 1)
        elif tag == "externalRef" and base is not None:
            self.external(base / node.get("href"), grammar, target, required=required,
                          depth=depth)
        elif tag == "grammar" and base is not None:
            inner = _Grammar(grammar)
            self._alive.append(inner)
            self._fill(inner, node, base)
            for pattern in inner.start:
                self.pattern(pattern, inner, target, required=required, depth=depth + 1)

    @staticmethod
    def _names(node: Any) -> tuple[list[str], bool]:
        """The names an <element> or <attribute> matches, and whether it matches any name."""
        if node.get("name") is not None:
            return [node.get("name").strip()], False
        names: list[str] = []
        wildcard = False
        for child in node.iter():
            tag = child.tag.removeprefix(_RNG) if isinstance(child.tag, str) else ""
            if tag == "name":
                names.append((child.text or "").strip())
            elif tag in ("anyName", "nsName"):
                wildcard = True
        return names, wildcard

    def _element(self, node: Any, base: Path | None, grammar: _Grammar, target: _Definition,
                 depth: int) -> None:
        names, wildcard = self._names(node)
        if wildcard:
            target.any_child = True
            return
        target.children.update(names)
        key = (f"{node.getroottree().docinfo.URL}:{node.getroottree().getpath(node)}",
               id(grammar))
        if key in self._seen:
            return
        self._seen.add(key)
        definition = _Definition()
        for name in names:
            self.definitions.setdefault(name, []).append(definition)
        content = [c for c in node if isinstance(c.tag, str) and c.tag != f"{_RNG}name"]
        for child in content:
            self.pattern((child, base), grammar, definition, required=True, depth=depth + 1)

    def _attribute(self, node: Any, grammar: _Grammar, target: _Definition, *, required: bool,
                   depth: int) -> None:
        names, wildcard = self._names(node)
        if wildcard:
            target.any_attribute = True
            return
        allowed = self._values(node, grammar, depth)
        for name in names:
            target.attributes.add(name)
            if required:
                target.required.add(name)
            target.values[name] = _either(target.values, name, allowed)

    def _values(self, node: Any, grammar: _Grammar | None, depth: int) -> frozenset[str] | None:
        """The values an attribute's content allows, None when it takes free text or data."""
        if depth > self._MAX_DEPTH:
            return None
        found: set[str] = set()
        content = [c for c in node if isinstance(c.tag, str) and c.tag != f"{_RNG}name"]
        if not content:
            return None  # <attribute name="x"/> is text
        for child in content:
            tag = child.tag.removeprefix(_RNG)
            if tag == "value":
                found.add((child.text or "").strip())
            elif tag in ("choice", "group"):
                inner = self._values(child, grammar, depth + 1)
                if inner is None:
                    return None
                found |= inner
            elif tag in ("ref", "parentRef") and grammar is not None:
                g = grammar if tag == "ref" else grammar.parent
                for pattern, _base in (g.defines.get(child.get("name"), []) if g else []):
                    wrapper = _etree().Element(f"{_RNG}choice")
                    wrapper.append(_copy(pattern))
                    inner = self._values(wrapper, g, depth + 1)
                    if inner is None:
                        return None
                    found |= inner
            else:
                return None
        return frozenset(found)


def _either(known: dict[str, frozenset[str] | None], name: str,
            allowed: frozenset[str] | None) -> frozenset[str] | None:
    """The values of two places that define attribute `name`: free (None) if either is."""
    if name not in known:
        return allowed
    before = known[name]
    if before is None or allowed is None:
        return None
    return before | allowed


def _copy(node: Any) -> Any:
    return _etree().fromstring(_etree().tostring(node))

"""A CIB document's bytes parsed once, by lxml (libxml2): the one tree that Pacemaker's schema
checks (cib.schema) and that the reader turns into the model (cib.read).

Parsing an 11 MB CIB takes libxml2 about a tenth of a second, the standard library's parser
twice that; a file used to be parsed by both, one tree for the schema and one for the model.

What the tree holds is what the standard library's parser would give the reader: comments
and processing instructions are left out, internal entities are replaced by their text and
external ones are refused (never fetched), so that the model read from a file is the same as
the one read from text by `read.parse_cib`.

Ids are not collected while parsing: libxml2 would register only xml:id attributes and those a
DTD declares of type ID, which CIBs do not use, and looking for them costs a third of the
parse. The ids Pacemaker's schema checks (uniqueness, references) are those of its ID-typed
attributes, registered by the validation itself; that the tree has no others is what lets
cib.free_status validate without the status section's content.
"""

from __future__ import annotations

import re
from typing import Any

from vigil.model import reports
from vigil.model.reports import ReportError

_SOURCE = re.compile(r" \(<string>, line \d+\)$")


def _etree() -> Any:
    # Imported when a CIB file is first parsed, as cib.schema does: the agents' tools run with
    # `python3 -S`, without site-packages, and never read a CIB file.
    from lxml import etree

    return etree


def parser() -> Any:
    """A new lxml parser with the settings above (a parser is not for two threads at once)."""
    return _etree().XMLParser(resolve_entities="internal", no_network=True,
                              remove_comments=True, remove_pis=True, collect_ids=False)


def parse(data: bytes) -> Any:
    """The root element of the document in `data` (bytes, so that the parser honours the
    document's own encoding declaration). Raises ReportError CIB_NOT_XML, with libxml2's
    one-line reason, when it is not well-formed XML."""
    etree = _etree()
    try:
        return etree.fromstring(data, parser=parser())
    except etree.XMLSyntaxError as exc:
        raise ReportError([reports.error("CIB_NOT_XML", detail=_one_line(exc))]) from None


def _one_line(exc: Exception) -> str:
    # lxml adds the source, "(<string>, line 3)", to libxml2's own "..., line 3, column 9":
    # a string has no name worth showing
    lines = str(exc).splitlines()
    return _SOURCE.sub("", lines[0]) if lines else "the document is empty"

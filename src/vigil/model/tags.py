"""Tags: named lists of configuration ids (<tags><tag id><obj_ref id/></tag></tags>).

A constraint may name a tag where it names a resource; it then means every tagged resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class Tag:
    id: str
    refs: tuple[str, ...]  # the obj_ref ids, in document order
    extra: Extra = NO_EXTRA

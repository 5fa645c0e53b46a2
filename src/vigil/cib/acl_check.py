"""What a user may read and write of the CIB, by its access control lists (pure: a CIB and a
user in, decisions out; the control socket and the API enforce them).

The rules, from Pacemaker Explained's chapter on ACLs:
- ACLs bind only when the cluster option `enable-acl` is true, and never root or hacluster
  (`Principal.unrestricted`): for those, everything is readable and writable.
- Otherwise a user gets the roles of its <acl_target> and of the <acl_group>s of its Unix
  groups; a user with none of either has no access at all (denied by default).
- A permission applies to the element it selects (by XPath, by `reference` id, or every
  `object-type` element, with `attribute` set when given) and to that element's whole subtree.
  An XPath that selects an attribute applies to the attribute's element.
- The most specific match decides: an element's own permissions win over its ancestors'. Among
  the permissions on one element, deny beats write, and write beats read (write implies read).

Reading: the CIB with every element the user may not read removed; one it may not read that
holds readable elements stays, stripped to its id, so that what is readable keeps its place
(the root's attributes, the CIB's version, always stay). Writing: every element a new
configuration adds, removes or changes must be writable (in the tree where it is: the old one
for a removal, both for a change); an element with no attribute but an id that holds others
("scaffolding", such as an attribute set or a section) needs none of its own, its contents do.
The permissions are always the current CIB's: a user cannot grant itself more by pushing new
ACLs (they are elements like others).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vigil.cib.write import write_cib
from vigil.model.acls import AclPermission, Acls
from vigil.model.cib import Cib
from vigil.model.values import is_true

UNRESTRICTED_USERS = frozenset({"root", "hacluster"})
_STRENGTH = {"read": 1, "write": 2, "deny": 3}  # of marks on one element: deny wins
_SCAFFOLD_ATTRS = frozenset({"id"})
_NOT_SCAFFOLDING = frozenset({"role", "resource_ref", "obj_ref", "role_ref", "tag", "group",
                              "clone", "master", "bundle"})


def _etree() -> Any:
    # Imported when first needed, as cib.schema does: the agents' tools run with `python3 -S`.
    from lxml import etree

    return etree


class Access(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2


@dataclass(frozen=True)
class Principal:
    """Who asks: a user name and the names of its Unix groups."""

    user: str
    groups: frozenset[str] = frozenset()

    @property
    def unrestricted(self) -> bool:
        return self.user in UNRESTRICTED_USERS


@dataclass(frozen=True)
class Need:
    """What a request needs: `access` to the first element that one of `xpaths` selects (each
    a fallback for the one before: the element itself, then the section it would go in).
    `variables` are the XPaths' $names (values never pasted into an expression)."""

    access: Access
    xpaths: tuple[str, ...]
    variables: tuple[tuple[str, str], ...] = ()
    whole: bool = False  # every element of the CIB writable (fencing, removing a node)


def enabled(cib: Cib) -> bool:
    return is_true(cib.cluster_option("enable-acl"), False)


def applies(cib: Cib, who: Principal) -> bool:
    """Whether the ACLs restrict `who` on this CIB."""
    return enabled(cib) and not who.unrestricted


def permissions_of(acls: Acls | None, who: Principal) -> tuple[AclPermission, ...]:
    """The permissions of every role given to the user or one of its groups (a reference to
    a role that does not exist gives nothing)."""
    if acls is None:
        return ()
    refs: list[str] = []
    for target in acls.targets:
        if target.subject == who.user:
            refs.extend(target.roles)
    for group in acls.groups:
        if group.subject in who.groups:
            refs.extend(group.roles)
    roles = {role.id: role for role in acls.roles}
    out: list[AclPermission] = []
    for ref in dict.fromkeys(refs):
        if ref in roles:
            out.extend(roles[ref].permissions)
    return tuple(out)


class _Tree:
    """One CIB as an lxml tree with every element's access for one set of permissions."""

    def __init__(self, xml: str, perms: tuple[AclPermission, ...]) -> None:
        etree = _etree()
        self.root: Any = etree.fromstring(xml.encode())
        self.tree: Any = self.root.getroottree()
        marks: dict[str, int] = {}
        for perm in perms:
            strength = _STRENGTH.get(perm.kind, 0)
            for el in self._selected(perm):
                path = self.path(el)
                marks[path] = max(marks.get(path, 0), strength)
        self.access: dict[str, Access] = {}
        self._walk(self.root, Access.NONE, marks)

    def path(self, el: Any) -> str:
        return str(self.tree.getpath(el))

    def _selected(self, perm: AclPermission) -> Iterator[Any]:
        etree = _etree()
        if perm.xpath is not None:
            try:
                found = self.root.xpath(perm.xpath)
            except etree.XPathError:  # a broken XPath selects nothing (verify says so)
                return
            for item in found if isinstance(found, list) else ():
                if isinstance(item, etree._Element):
                    yield item
                elif hasattr(item, "getparent") and item.getparent() is not None:
                    yield item.getparent()  # an attribute or text: its element
        elif perm.reference is not None:
            yield from self.root.xpath("//*[@id=$ref and not(@id-ref)]", ref=perm.reference)
        elif perm.object_type is not None:
            for el in self.root.iter(perm.object_type):
                if perm.attribute is None or el.get(perm.attribute) is not None:
                    yield el

    def _walk(self, el: Any, inherited: Access, marks: dict[str, int]) -> None:
        mark = marks.get(self.path(el))
        here = inherited if mark is None else (Access.NONE if mark == 3 else Access(mark))
        self.access[self.path(el)] = here
        for child in el:
            if isinstance(child.tag, str):
                self._walk(child, here, marks)

    def of(self, el: Any) -> Access:
        return self.access.get(self.path(el), Access.NONE)


def _label(el: Any) -> str:
    """An element as people name it: its tag and id."""
    el_id = el.get("id")
    return f"{el.tag}[@id='{el_id}']" if el_id else str(el.tag)


@dataclass(frozen=True)
class Denial:
    access: Access  # what was needed
    element: str  # the element, as an XPath a person can read


class AclView:
    """The decisions for one user on one CIB."""

    def __init__(self, cib: Cib, who: Principal) -> None:
        self.cib = cib
        self.who = who
        self.restricted = applies(cib, who)
        self.perms = permissions_of(cib.configuration.acls, who) if self.restricted else ()
        self._old: _Tree | None = None

    def _tree(self) -> _Tree:
        if self._old is None:
            self._old = _Tree(write_cib(self.cib), self.perms)
        return self._old

    # -- reading -----------------------------------------------------------------------------
    def can_read_anything(self) -> bool:
        return not self.restricted or any(a >= Access.READ for a in self._tree().access.values())

    def readable_xml(self) -> str:
        """The CIB as this user may read it (all of it when the ACLs do not restrict it)."""
        if not self.restricted:
            return write_cib(self.cib)
        etree = _etree()
        tree = _Tree(write_cib(self.cib), self.perms)  # pruned below: a copy of its own
        self._prune(tree, tree.root, keep=True)
        etree.indent(tree.root)
        return str(etree.tostring(tree.root, encoding="unicode")) + "\n"

    def _prune(self, tree: _Tree, el: Any, *, keep: bool = False) -> bool:
        """Drop what `el` holds that is unreadable; True if `el` itself stays."""
        kept_child = False
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            # the sections stay (empty if need be): a reader needs the document's shape
            section = el is tree.root
            if self._prune(tree, child, keep=section):
                kept_child = True
            else:
                el.remove(child)
        if tree.of(el) >= Access.READ or el is tree.root:
            return True
        if kept_child or keep:
            for name in [n for n in el.attrib if n != "id"]:
                del el.attrib[name]
            return True
        return False

    # -- writing -----------------------------------------------------------------------------
    def replace_denials(self, new: Cib) -> tuple[Denial, ...]:
        """The elements that replacing this CIB's configuration by `new`'s would add, remove
        or change without write access (none: the change is allowed)."""
        if not self.restricted:
            return ()
        old = self._tree()
        fresh = _Tree(write_cib(new), self.perms)
        old_config = old.root.find("configuration")
        new_config = fresh.root.find("configuration")
        out: list[Denial] = []
        self._compare(old, old_config, fresh, new_config, out)
        return tuple(out)

    def _compare(self, old: _Tree, a: Any, new: _Tree, b: Any, out: list[Denial]) -> None:
        if dict(a.attrib) != dict(b.attrib) and (old.of(a) < Access.WRITE
                                                 or new.of(b) < Access.WRITE):
            out.append(Denial(Access.WRITE, _readable_path(old, a)))
        left = dict(_keyed(a))
        right = dict(_keyed(b))
        for key, child in left.items():
            if key not in right:
                self._whole(old, child, out)
        for key, child in right.items():
            if key not in left:
                self._whole(new, child, out)
            else:
                self._compare(old, left[key], new, child, out)

    def _whole(self, tree: _Tree, el: Any, out: list[Denial]) -> None:
        """An element added or removed with everything in it."""
        for sub in el.iter():
            if not isinstance(sub.tag, str):
                continue
            if _scaffolding(sub):
                continue
            if tree.of(sub) < Access.WRITE:
                out.append(Denial(Access.WRITE, _readable_path(tree, sub)))
                return  # one per subtree is enough to say what was refused

    # -- other requests ----------------------------------------------------------------------
    def allows(self, need: Need) -> bool:
        if not self.restricted:
            return True
        tree = self._tree()
        if need.whole:
            return all(a >= need.access for a in tree.access.values())
        variables = dict(need.variables)
        for xpath in need.xpaths:
            found = tree.root.xpath(xpath, **variables)
            if isinstance(found, list) and found:
                return all(tree.of(el) >= need.access for el in found)
        return False


def _scaffolding(el: Any) -> bool:
    """An element that only holds others: an id at most, and children. An empty one is not
    (it may mean something by being there), nor a reference whose id names another element
    (<role id="admin"/> gives a role), nor a configuration object that is only its id and its
    members (a tag, a group, a clone: creating one around resources the user may write is a
    change of its own, which the user's permissions must cover)."""
    return (set(el.attrib) <= _SCAFFOLD_ATTRS and len(el) > 0
            and el.tag not in _NOT_SCAFFOLDING)


def _keyed(el: Any) -> Iterator[tuple[tuple[str, str, int], Any]]:
    """Children matched across two versions: by tag and id, or by tag and position."""
    seen: dict[str, int] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        el_id = child.get("id")
        if el_id is not None:
            yield (child.tag, el_id, 0), child
        else:
            n = seen.get(child.tag, 0)
            seen[child.tag] = n + 1
            yield (child.tag, "", n), child


def _readable_path(tree: _Tree, el: Any) -> str:
    """/cib/configuration/resources/primitive[@id='web']: tags and ids, not positions."""
    parts = []
    node = el
    while node is not None:
        parts.append(_label(node))
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def describe(denial: Denial) -> str:
    return f"{denial.access.name.lower()} {denial.element}"


# -- what requests other than a configuration's replacement need -------------------------------
def resource_need(resource: str) -> Need:
    """Cleaning up a resource: write on its element (a clone instance `rsc:0` is its
    resource), else on the resources section (a resource only in the status)."""
    base = resource.split(":", 1)[0]
    return Need(Access.WRITE, ("/cib/configuration/resources//*[@id=$rsc]",
                               "/cib/configuration/resources"), (("rsc", base),))


def attribute_need(access: Access, scope: str, node_id: str | None) -> Need:
    """A node attribute (`scope` attrd or status: transient, the node's node_state; nodes or
    utilization: permanent, its <node>) or a cluster option (`scope` is its section), to read
    or to write; `node_id` None: every node's."""
    node = (("node", node_id),) if node_id is not None else ()
    if scope in ("status", "attrd"):
        return Need(access, ("/cib/status/node_state[@id=$node]", "/cib/status")
                    if node_id is not None else ("/cib/status",), node)
    if scope in ("nodes", "utilization"):
        return Need(access, ("/cib/configuration/nodes/node[@id=$node]",
                             "/cib/configuration/nodes")
                    if node_id is not None else ("/cib/configuration/nodes",), node)
    return Need(access, (f"/cib/configuration/{scope}", "/cib/configuration"))


def ticket_need(ticket: str) -> Need:
    return Need(Access.WRITE, ("/cib/status/tickets/ticket_state[@id=$t]", "/cib/status/tickets",
                               "/cib/status"), (("t", ticket),))


STATUS_READ = Need(Access.READ, ("/cib/status",))  # quorum, node list, fence history
FULL_READ = Need(Access.READ, ("/cib",), whole=True)  # the API's status and history views
FULL_WRITE = Need(Access.WRITE, ("/cib",), whole=True)  # fencing, forgetting a node

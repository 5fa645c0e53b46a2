"""The control requests held to the CIB's ACLs (vigil.cib.acl_check decides; this module says
what each request needs, and who a socket's peer is).

What each request needs of a user the ACLs restrict:
- cib, status: something readable; the answer's CIB is what the user may read.
- replace: write on every element the new configuration adds, removes or changes.
- cleanup RSC: write on RSC's element (else on the resources section).
- attribute (transient), attribute-update: write on the node's node_state (transient) or
  <node> (permanent, utilization), or on the option's section (crm_config, rsc_defaults...).
- attribute-query: read on the status (transient), the nodes section or the option's section.
- ticket T: write on T's ticket_state (else the status's tickets, else the status).
- quorum, node-list, fence-history: read on the status.
- fence, confirm, forget-node: write on the whole CIB (they act on nodes, not on elements).
Root (uid 0) is never checked; hacluster and every user when `enable-acl` is not true are
checked and always allowed, so their requests go as they went before ACLs.
"""

from __future__ import annotations

import contextlib
import grp
import pwd
from collections.abc import Callable

from vigil.cib import acl_check
from vigil.cib.acl_check import Access, AclView, Need, Principal
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report

ACL_DENIED = c.ACL_DENIED


def principal(uid: int, gid: int) -> Principal | None:
    """Who a peer's uid and gid are (None: root, whom nothing restricts). A uid with no user
    is named `uid N`: no acl_target can name it, so the ACLs give it nothing."""
    if uid == 0:
        return None
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        return Principal(f"uid {uid}")
    groups: set[str] = set()
    with contextlib.suppress(KeyError):
        groups.add(grp.getgrgid(gid).gr_name)
    groups.update(g.gr_name for g in grp.getgrall() if name in g.gr_mem)
    return principal_named(name, groups)


def principal_named(user: str, groups: set[str] | None = None) -> Principal:
    """A user known by name (the API's token holder): its groups from the system's."""
    if groups is None:
        groups = set()
        with contextlib.suppress(KeyError):
            groups.add(grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name)
        groups.update(g.gr_name for g in grp.getgrall() if user in g.gr_mem)
    return Principal(user, frozenset(groups))


def denied(who: Principal, op: str, what: str) -> Report:
    return reports.error(ACL_DENIED, user=who.user, request=op, denied=what)


def need_of(request: c.Request, node_id: Callable[[str | None], str]) -> Need | None:
    """What `request` needs (None: a read whose answer is filtered, or a replacement, which
    is checked element by element). `node_id` gives a node name's id (None: this node's)."""
    match request:
        case c.Cleanup():
            return acl_check.resource_need(request.resource)
        case c.SetAttribute():
            return acl_check.attribute_need(Access.WRITE, "status", request.node_id)
        case c.UpdateAttribute():
            node = node_id(request.node) if request.scope.of_node else None
            return acl_check.attribute_need(Access.WRITE, request.scope.value, node)
        case c.QueryAttribute():
            return acl_check.attribute_need(Access.READ, request.scope.value, None)
        case c.SetTicket():
            return acl_check.ticket_need(request.ticket)
        case c.GetQuorum() | c.GetNodeList() | c.GetFenceHistory():
            return acl_check.STATUS_READ
        case c.Fence() | c.ConfirmFenced() | c.ForgetNode():
            return acl_check.FULL_WRITE
    return None


def _what(need: Need) -> str:
    access = need.access.name.lower()
    if need.whole:
        return f"{access} the whole CIB"
    path = need.xpaths[0]
    for name, value in need.variables:
        path = path.replace(f"${name}", f"'{value}'")
    return f"{access} {path}"


def refusal(view: AclView, request: c.Request, node_id: Callable[[str | None], str],
            new: Cib | None = None) -> c.Refused | None:
    """Why `view`'s user may not make `request` (None: it may). `new`: for a replacement,
    the configuration sent, parsed."""
    if not view.restricted:
        return None
    op = request.OP
    if not view.can_read_anything():
        return c.Refused((denied(view.who, op, "any access: no ACL role gives this user any"),))
    if isinstance(request, c.ReplaceConfig) and new is not None:
        found = view.replace_denials(new)
        if found:
            text = "; ".join(acl_check.describe(d) for d in found[:3])
            more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
            return c.Refused((denied(view.who, op, text + more),))
        return None
    need = need_of(request, node_id)
    if need is not None and not view.allows(need):
        return c.Refused((denied(view.who, op, _what(need)),))
    return None

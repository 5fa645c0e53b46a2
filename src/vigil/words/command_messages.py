"""English text for the reports of the library commands (resources, constraints, properties,
nodes, agents, the environments). Each says what is wrong and what to do."""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.reports import Report

_Render = Callable[[Report], str]


def _f(r: Report, name: str) -> str:
    return r.field(name)


def _until(r: Report) -> str:
    return f" until {r.field('until')}" if r.field("until") else ""


_ENV: dict[str, _Render] = {
    "DAEMON_NOT_RUNNING": lambda r: (
        f"no running cluster: vigild is not reachable at {_f(r, 'socket')} "
        "(use -f FILE to work on a CIB file)"),
    "DAEMON_ACCESS_DENIED": lambda r: (
        f"vigild's socket {_f(r, 'socket')} refused this user: run as root or as a member of "
        "the haclient group"),
    "DAEMON_UNREACHABLE": lambda r: (
        f"vigild at {_f(r, 'socket')} did not answer ({_f(r, 'detail')}); check that it runs "
        "(systemctl status vigild)"),
    "DAEMON_ERROR": lambda r: f"vigild could not do it: {_f(r, 'detail')}",
    "CIB_CHANGED_UNDERNEATH": lambda r: (
        f"the CIB changed while this command ran (read {_f(r, 'read')}, now {_f(r, 'now')}); "
        "nothing was written: run the command again"),
    "NEEDS_RUNNING_CLUSTER": lambda r: (
        f"'{_f(r, 'command')}' acts on running resources and needs a running cluster; on a "
        "CIB file, disable then enable the resource instead"),
    "NOT_SUPPORTED_YET": lambda r: f"'{_f(r, 'command')}' is not supported by vigild yet",
    # what vigild's control socket answers (vigil.daemon.control.DAEMON_CODES)
    "CIB_INVALID": lambda r: (
        "vigild could not read the configuration this command computed; nothing was changed: "
        "run `vigil cluster verify` and report it if the CIB is valid"),
    "CIB_NOT_READY": lambda r: (
        "vigild on this node is not yet in step with the cluster (a membership change is being "
        "synchronised); nothing was written: run the command again in a moment"),
    "IPC_ACCESS_DENIED": lambda r: (
        "vigild refused this user: run as root or as a member of the haclient group"),
    "ACL_DENIED": lambda r: (
        f"the cluster's ACLs do not let user '{_f(r, 'user')}' do this ({_f(r, 'request')}: "
        f"needs {_f(r, 'denied')}); nothing was changed: ask an administrator for a role "
        "('vigil acl')"),
    "IPC_BAD_REQUEST": lambda r: (
        f"vigild could not read the request ({_f(r, 'detail')}); nothing was changed: are the "
        "vigil command and vigild the same version?"),
    "IPC_UNKNOWN_OP": lambda r: (
        f"vigild does not know the request '{_f(r, 'op')}'; nothing was changed: is it an "
        "older version than the vigil command?"),
    "IPC_TIMEOUT": lambda r: (
        f"the cluster did not complete the '{_f(r, 'request')}' request in time; it may still "
        "be applied: check with 'vigil status' before trying again"),
    "FENCE_BAD_ACTION": lambda r: (
        f"'{_f(r, 'action')}' is not a fencing action: use reboot or off"),
}

_AGENTS: dict[str, _Render] = {
    "INVALID_AGENT_NAME": lambda r: f"'{_f(r, 'agent')}' is not an agent name: {_f(r, 'reason')}",
    "AGENT_NAME_INVALID": lambda r: f"'{_f(r, 'agent')}' is not an agent name: {_f(r, 'reason')}",
    "AGENT_STANDARD_UNKNOWN": lambda r: (
        f"'{_f(r, 'standard')}' is not an agent standard (known: {_f(r, 'known')})"),
    "AGENT_NAME_NEEDS_STANDARD": lambda r: (
        f"cannot tell which agent '{_f(r, 'agent')}' is without the list of installed agents: "
        f"give its full name, such as ocf:heartbeat:{_f(r, 'agent')} or systemd:{_f(r, 'agent')}"),
    "AGENT_NOT_FOUND": lambda r: (
        f"agent '{_f(r, 'agent')}' is not installed on this machine"
        + (f" (searched {_f(r, 'searched')})" if _f(r, "searched") else "")
        + ": check its name with 'vigil resource agents'"),
    "AGENT_NAME_AMBIGUOUS": lambda r: (
        f"several agents are called '{_f(r, 'agent')}' ({_f(r, 'matches')}): give the full name"),
    "AGENT_NAME_DEDUCED": lambda r: f"using agent '{_f(r, 'agent')}' for '{_f(r, 'given')}'",
    "AGENT_PARAMETER_UNKNOWN": lambda r: (
        f"agent {_f(r, 'agent')} has no parameter '{_f(r, 'parameter')}'"
        + (f" (did you mean: {_f(r, 'suggestions')})" if _f(r, "suggestions") else "")),
    "AGENT_PARAMETER_MISSING": lambda r: (
        f"agent {_f(r, 'agent')} requires {_f(r, 'parameters')}: give it as NAME=VALUE"),
    "AGENT_PARAMETER_DEPRECATED": lambda r: (
        f"parameter '{_f(r, 'parameter')}' of {_f(r, 'agent')} is deprecated: see "
        f"'vigil resource describe {_f(r, 'agent')}' for its replacement"),
    "AGENT_CATALOG_UNAVAILABLE": lambda r: (
        "this vigil cannot list or describe agents: its executor is not installed"),
    "AGENT_METADATA_UNAVAILABLE": lambda r: (
        f"agent {_f(r, 'agent')} did not give its metadata ({_f(r, 'reason') or _f(r, 'rc')}): "
        "check that it runs, or use --force"),
    "AGENT_METADATA_INVALID": lambda r: (
        f"agent {_f(r, 'agent')} gave unusable metadata ({_f(r, 'detail')})"),
}

_RESOURCES: dict[str, _Render] = {
    "NODE_NOT_FOUND": lambda r: (
        f"node '{_f(r, 'node')}' is not in the cluster (nodes: {_f(r, 'known')})"),
    "INVALID_ID": lambda r: (
        f"'{_f(r, 'id')}' cannot be a {_f(r, 'what')} id: {_f(r, 'reason')} (ids start with a "
        "letter or _, then letters, digits, '.', '_' or '-')"),
    "ID_ALREADY_EXISTS": lambda r: (
        f"id '{_f(r, 'id')}' is already used in the configuration: choose another"),
    "STONITH_VIA_RESOURCE_CREATE": lambda r: (
        f"'{_f(r, 'resource')}' uses a stonith agent: create fence devices with "
        "'vigil stonith create'"),
    "POSITION_NEEDS_GROUP": lambda r: "--before and --after need --group",
    "BEFORE_AND_AFTER": lambda r: "give --before or --after, not both",
    "INVALID_OPTION_VALUE": lambda r: (
        f"'{_f(r, 'value')}' is not a valid value for {_f(r, 'option')}: it must be "
        f"{_f(r, 'expected')}"),
    "INVALID_OPTION": lambda r: (
        f"'{_f(r, 'option')}' is not an option of {_f(r, 'where')} (options: "
        f"{_f(r, 'allowed')})"),
    "OPERATION_DUPLICATE": lambda r: (
        f"{_f(r, 'resource')} has two {_f(r, 'action')} operations with interval "
        f"{_f(r, 'interval')}: give each a different interval"),
    "OPERATION_NAME_UNKNOWN": lambda r: (
        f"'{_f(r, 'action')}' is not an action agents know"
        + (f" (did you mean '{_f(r, 'suggestion')}'?)" if _f(r, "suggestion") else "")
        + "; the operation is kept as given"),
    "RESOURCE_NOT_IN_GROUP": lambda r: (
        f"'{_f(r, 'resource')}' is not a member of group '{_f(r, 'group')}'"),
    "GROUP_CREATED": lambda r: f"created group '{_f(r, 'group')}'",
    "GROUP_REMOVED": lambda r: f"removed group '{_f(r, 'group')}', which had no members left",
    "NOT_A_GROUP": lambda r: f"'{_f(r, 'id')}' exists and is not a group",
    "GROUP_IS_CLONED": lambda r: (
        f"group '{_f(r, 'group')}' is cloned: change the clone's group in a CIB file with "
        "'vigil cib' and 'vigil cib-push'"),
    "RESOURCE_LISTED_TWICE": lambda r: f"a resource is listed twice in '{_f(r, 'resources')}'",
    "CANNOT_GROUP_NON_PRIMITIVE": lambda r: (
        f"'{_f(r, 'resource')}' is a group or clone: only primitives can join a group"),
    "CANNOT_GROUP_CLONED": lambda r: (
        f"'{_f(r, 'resource')}' is inside a clone and cannot join a group"),
    "POSITION_SELF": lambda r: f"'{_f(r, 'resource')}' cannot be placed relative to itself",
    "RESOURCE_ALREADY_IN_GROUP": lambda r: (
        f"'{_f(r, 'resource')}' is already in group '{_f(r, 'group')}' (use --before or "
        "--after to move it within the group)"),
    "RESOURCE_REMOVED": lambda r: f"removed resource '{_f(r, 'resource')}'",
    "OPERATIONS_NEED_PRIMITIVE": lambda r: (
        f"'{_f(r, 'resource')}' is a group or clone: operations belong to its primitives"),
    "GROUP_HAS_NO_INSTANCE_ATTRIBUTES": lambda r: (
        f"group '{_f(r, 'group')}' has only meta attributes: use 'meta NAME=VALUE'"),
    "CLEANED_UP": lambda r: f"cleaned up {_f(r, 'resource')} on {_f(r, 'node')}",
    "NOTHING_TO_CLEAN": lambda r: f"no failures recorded for {_f(r, 'resource')}",
    "REFRESHED": lambda r: (
        f"forgot the history of {_f(r, 'resource')} on {_f(r, 'node')}: it is probed again"),
    "NOTHING_TO_REFRESH": lambda r: f"no history recorded for {_f(r, 'resource')}",
    "INVALID_LIFETIME": lambda r: (
        f"'{_f(r, 'lifetime')}' is not a lifetime: give an ISO 8601 duration (PT30M, P1D) or "
        "a time such as 30min, 2h or 1d"),
    "CANNOT_MOVE_CLONE": lambda r: (
        f"'{_f(r, 'resource')}' is a clone or inside one: "
        + (f"to move its promoted instance, run 'vigil resource move {_f(r, 'promotable')} "
           "[NODE] --promoted'" if _f(r, "promotable") else
           "use location constraints ('vigil constraint location') to place its instances")),
    "WHATIF_NOTHING_ASKED": lambda r: (
        "a what-if needs a question: a node to fail, a node to put in standby or a resource "
        "to move"),
    "RESOURCE_ALREADY_ON_NODE": lambda r: (
        f"{_f(r, 'resource')} already runs on {_f(r, 'node')} and only there"),
    "RESOURCE_NODE_NEEDED": lambda r: (
        f"{_f(r, 'resource')} runs on {_f(r, 'running')} nodes now: name the node"),
    "MOVE_CONSTRAINT_CREATED": lambda r: (
        f"created constraint {_f(r, 'id')}: {_f(r, 'resource')} prefers "
        + ("to be promoted on " if _f(r, "promoted") else "") + f"{_f(r, 'node')}"
        f"{_until(r)}; 'vigil resource clear {_f(r, 'resource')}' removes it"),
    "MOVE_AWAY_CONSTRAINT_CREATED": lambda r: (
        f"created constraint {_f(r, 'id')}: {_f(r, 'resource')} "
        + (f"is demoted on {_f(r, 'node')} and cannot be promoted there again"
           if _f(r, "promoted") else
           f"moves away from {_f(r, 'node')} and cannot return there")
        + f"{_until(r)}; 'vigil resource clear {_f(r, 'resource')}' removes it"),
    "BAN_CONSTRAINT_CREATED": lambda r: (
        f"created constraint {_f(r, 'id')} with a score of -INFINITY: {_f(r, 'resource')} "
        + ("cannot be promoted on " if _f(r, "promoted") else "cannot run on ")
        + f"{_f(r, 'node')}{_until(r)}, even if it is the last node left; "
        f"'vigil resource clear {_f(r, 'resource')}' removes it"),
    "RESOURCE_ALREADY_PROMOTED_ON_NODE": lambda r: (
        f"{_f(r, 'resource')} is already promoted on {_f(r, 'node')} and only there"),
    "RESOURCE_NOT_PROMOTED_ON_NODE": lambda r: (
        f"{_f(r, 'resource')} would not be promoted on {_f(r, 'node')}: {_f(r, 'why')}"),
    "RESOURCE_PROMOTED_NODE_NEEDED": lambda r: (
        f"{_f(r, 'resource')} is promoted on {_f(r, 'running')} nodes now: name the node"),
    "NOT_PROMOTABLE": lambda r: (
        f"'{_f(r, 'resource')}' is not a promotable clone, so it has no promoted instance: "
        f"drop --promoted, or make it promotable with 'vigil resource promotable "
        f"{_f(r, 'resource')}'"),
    "PROMOTED_NEEDS_CLONE_ID": lambda r: (
        f"'{_f(r, 'resource')}' is inside promotable clone {_f(r, 'clone')}: with --promoted, "
        f"give the clone's id ({_f(r, 'clone')})"),
    # clones
    "CLONE_CREATED": lambda r: (
        f"created {'promotable ' if _f(r, 'promotable') else ''}clone {_f(r, 'clone')} of "
        f"{_f(r, 'resource')}"),
    "CLONE_REMOVED": lambda r: (
        f"removed clone {_f(r, 'clone')}: {_f(r, 'resource')} is a single resource again"),
    "CONSTRAINT_RETARGETED": lambda r: (
        f"constraint {_f(r, 'id')} now names {_f(r, 'new')} instead of {_f(r, 'old')}"),
    "CLONE_OF_CLONE": lambda r: (
        f"'{_f(r, 'resource')}' is a clone already: change its options with 'vigil resource "
        f"meta {_f(r, 'resource')} NAME=VALUE'"),
    "RESOURCE_ALREADY_CLONED": lambda r: (
        f"'{_f(r, 'resource')}' is already in clone {_f(r, 'clone')}"
        + ("" if _f(r, "promotable") else
           f": to make it promotable, run 'vigil resource meta {_f(r, 'clone')} "
           "promotable=true'")),
    "CANNOT_CLONE_GROUP_MEMBER": lambda r: (
        f"'{_f(r, 'resource')}' is a member of group {_f(r, 'group')}: clone the whole group "
        f"('vigil resource clone {_f(r, 'group')}') or take it out of the group first"),
    "CANNOT_CLONE_STONITH": lambda r: (
        f"'{_f(r, 'resource')}' is a fence device: fence devices are not cloned (the fencer "
        "can use a device from any node)"),
    "CLONE_AND_GROUP": lambda r: (
        f"'{_f(r, 'resource')}' cannot be both put into group {_f(r, 'group')} and cloned: "
        f"create it in the group, then clone the group ('vigil resource clone "
        f"{_f(r, 'group')}')"),
    "NOT_A_CLONE": lambda r: (
        f"'{_f(r, 'resource')}' is not a clone"
        + (f" (it is inside clone {_f(r, 'clone')}: unclone that)" if _f(r, "clone") else
           " and not in one: there is nothing to unclone")),
    "PROMOTED_MAX_TOO_LOW": lambda r: (
        f"{_f(r, 'option')}={_f(r, 'value')} for {_f(r, 'clone')} would never promote an "
        f"instance: give 1 or more"),
    "PROMOTED_MAX_TOO_HIGH": lambda r: (
        f"{_f(r, 'option')}={_f(r, 'value')} for {_f(r, 'clone')} is more than {_f(r, 'what')} "
        f"({_f(r, 'limit')}): give at most {_f(r, 'limit')}, or raise clone-max"),
    "AGENT_NOT_PROMOTABLE": lambda r: (
        f"agent {_f(r, 'agent')} of {_f(r, 'resource')} has no promote and demote actions, so "
        "it cannot run in a promotable clone: use an agent that has them (such as "
        "ocf:pacemaker:Stateful), or a plain clone ('vigil resource clone')"),
    "NOTHING_TO_CLEAR": lambda r: f"{_f(r, 'resource')} has no move or ban constraints",
}

_CONSTRAINTS: dict[str, _Render] = {
    "INVALID_SCORE": lambda r: (
        f"'{_f(r, 'score')}' is not a score: use an integer, INFINITY or -INFINITY"),
    "CONSTRAINT_ON_CLONED_RESOURCE": lambda r: (
        f"{_f(r, 'resource')} is inside clone {_f(r, 'clone')}: constrain the clone instead"),
    "CONSTRAINT_CREATED": lambda r: f"created constraint {_f(r, 'id')}",
    "DEFAULTS_SET_CREATED": lambda r: f"created defaults set {_f(r, 'id')}",
    "DEFAULTS_SET_REMOVED": lambda r: f"removed defaults set {_f(r, 'id')}",
    "DEFAULTS_SET_NOT_FOUND": lambda r: (
        f"there is no defaults set '{_f(r, 'id')}' (sets: {_f(r, 'known')})"),
    "CONSTRAINT_REPLACED": lambda r: f"replaced constraint {_f(r, 'id')}",
    "CONSTRAINT_REMOVED": lambda r: f"removed constraint {_f(r, 'id')}",
    "CONSTRAINT_SCORE_CHANGED": lambda r: f"constraint {_f(r, 'id')} is now {_f(r, 'value')}",
    "CONSTRAINT_SCORE_NOT_EDITABLE": lambda r: (
        f"constraint {_f(r, 'id')} has no single score to change (its score is in its rules "
        "or sets): remove it and add it again"),
    "CONSTRAINT_CHANGED": lambda r: (
        f"removed the deleted resources from the sets of constraint {_f(r, 'id')}"),
    "CONSTRAINT_SAME_RESOURCE": lambda r: (
        f"a constraint needs two different resources, not '{_f(r, 'resource')}' twice"),
    "SCORE_GIVEN_TWICE": lambda r: "give the score once: as a word or as score=",
    "CONSTRAINT_DUPLICATE": lambda r: f"the same constraint already exists: {_f(r, 'id')}",
    "EMPTY_RESOURCE_SET": lambda r: "a resource set needs at least one resource",
    "RULE_SYNTAX": lambda r: (
        f"rule '{_f(r, 'rule')}': at {_f(r, 'found')}, expected {_f(r, 'expected')}"),
    "RULE_SCORE_TWICE": lambda r: "give score= or score-attribute=, not both",
    "RULE_NEEDS_LOCATION": lambda r: (
        f"{_f(r, 'id')} is not a location constraint: rules are added to location constraints"),
    "RULE_ON_NODE_LOCATION": lambda r: (
        f"{_f(r, 'id')} places by node and score; remove it and make one with a rule"),
    "RULE_NOT_FOUND": lambda r: f"no location constraint has a rule {_f(r, 'id')}",
    "RULE_ADDED": lambda r: f"added rule {_f(r, 'id')} to {_f(r, 'constraint')}",
    "RULE_REMOVED": lambda r: f"removed rule {_f(r, 'id')}",
    "OPTION_GIVEN_TWICE": lambda r: f"{_f(r, 'option')} is given twice",
    "RESOURCE_IN_TWO_SETS": lambda r: (
        f"{_f(r, 'resource')} is named twice: a resource may be in one set of a constraint"),
    "TAG_NOT_FOUND": lambda r: f"no tag {_f(r, 'id')} (tags: {_f(r, 'known')})",
    "TAG_EMPTY": lambda r: f"tag {_f(r, 'id')} needs at least one resource",
    "TAG_MEMBER_TWICE": lambda r: f"a tag lists each resource once: {_f(r, 'ids')}",
    "TAG_NOT_MEMBER": lambda r: f"{_f(r, 'member')} is not in tag {_f(r, 'id')}",
    "TAG_IN_USE": lambda r: (
        f"tag {_f(r, 'id')} is named by constraints {_f(r, 'constraints')}: remove them first"),
    "TAG_CREATED": lambda r: f"created tag {_f(r, 'id')}",
    "TAG_REMOVED": lambda r: f"removed tag {_f(r, 'id')}",
    "ALERT_AGENT_MISSING": lambda r: (
        f"{_f(r, 'path')} is not an executable file on this node: it must exist on every node "
        "(the samples are in /usr/share/pacemaker/alerts)"),
    "ALERT_PATH_MISSING": lambda r: "an alert needs path=PATH (its agent)",
    "ALERT_NOT_FOUND": lambda r: f"no alert {_f(r, 'id')} (alerts: {_f(r, 'known')})",
    "ALERT_CREATED": lambda r: f"created alert {_f(r, 'id')}",
    "ACL_ROLE_NOT_FOUND": lambda r: (
        f"there is no ACL role '{_f(r, 'id')}' (roles: {_f(r, 'known')})"),
    "ACL_BAD_PERMISSION": lambda r: (
        f"'{_f(r, 'kind')} {_f(r, 'scope')}' is not a permission: use (read|write|deny) "
        "(xpath XPATH | id ID)"),
    "ACL_REFERENCE_NOT_FOUND": lambda r: (
        f"no element has the id '{_f(r, 'id')}': a permission by id needs an existing element "
        "(use xpath for one that does not exist yet)"),
    "ACL_HOLDER_AMBIGUOUS": lambda r: (
        f"'{_f(r, 'name')}' is both an ACL user and an ACL group: say 'user' or 'group'"),
    "ACL_HOLDER_NOT_FOUND": lambda r: (
        f"there is no ACL {_f(r, 'kind')} '{_f(r, 'name')}': create it first "
        "('vigil acl user create' or 'vigil acl group create')"),
    "ACL_ROLE_ALREADY_ASSIGNED": lambda r: (
        f"{_f(r, 'kind')} '{_f(r, 'name')}' has the role '{_f(r, 'role')}' already"),
    "ACL_ROLE_NOT_ASSIGNED": lambda r: (
        f"{_f(r, 'kind')} '{_f(r, 'name')}' does not have the role '{_f(r, 'role')}'"),
    "ACL_PERMISSION_NOT_FOUND": lambda r: f"there is no ACL permission '{_f(r, 'id')}'",
    "ACL_ROLE_CREATED": lambda r: f"created ACL role {_f(r, 'id')}",
    "ACL_ROLE_REMOVED": lambda r: f"removed ACL role {_f(r, 'id')}",
    "ACL_ROLE_ASSIGNED": lambda r: (
        f"assigned role {_f(r, 'role')} to {_f(r, 'kind')} {_f(r, 'name')}"),
    "ACL_ROLE_UNASSIGNED": lambda r: (
        f"unassigned role {_f(r, 'role')} from {_f(r, 'kind')} {_f(r, 'name')}"),
    "ACL_HOLDER_CREATED": lambda r: f"created ACL {_f(r, 'kind')} {_f(r, 'name')}",
    "ACL_HOLDER_REMOVED": lambda r: f"removed ACL {_f(r, 'kind')} {_f(r, 'name')}",
    "ACL_PERMISSION_REMOVED": lambda r: f"removed ACL permission {_f(r, 'id')}",
    "ALERT_REMOVED": lambda r: f"removed alert {_f(r, 'id')}",
    "RECIPIENT_VALUE_MISSING": lambda r: "a recipient needs value=VALUE",
    "RECIPIENT_DUPLICATE": lambda r: (
        f"alert {_f(r, 'alert')} already has a recipient {_f(r, 'value')}"),
    "RECIPIENT_NOT_FOUND": lambda r: f"no alert has a recipient {_f(r, 'id')}",
    "RECIPIENT_CREATED": lambda r: f"created recipient {_f(r, 'id')} of {_f(r, 'alert')}",
    "RECIPIENT_REMOVED": lambda r: f"removed recipient {_f(r, 'id')}",
    "CIB_NO_SCHEMAS": lambda r: (
        f"no Pacemaker schema in {_f(r, 'where')}: install pacemaker-common"),
    "CIB_ALREADY_NEWEST": lambda r: f"the CIB already uses {_f(r, 'schema')}, the newest here",
    "CIB_UPGRADED": lambda r: f"the CIB now uses {_f(r, 'new')} (was {_f(r, 'old')})",
    "LOCATION_TARGET_KIND": lambda r: (
        f"'{_f(r, 'given')}': a location names RESOURCE, resource%RESOURCE or regexp%PATTERN"),
    "INVALID_REGEXP": lambda r: (
        f"'{_f(r, 'pattern')}' is not a regular expression: {_f(r, 'detail')}"),
    "RELOCATING": lambda r: (
        f"relocating {_f(r, 'resource')}: {_f(r, 'current')} -> {_f(r, 'node')}"),
    "RELOCATE_NOTHING": lambda r: "every resource already runs on its preferred node",
    "RELOCATE_CLONE": lambda r: (
        f"{_f(r, 'resource')} is a clone (or in one): its instances are not relocated"),
    "RELOCATE_TIMEOUT": lambda r: (
        f"{_f(r, 'resources')} did not reach their preferred nodes within {_f(r, 'seconds')} s; "
        "the relocation constraints were removed ('vigil explain RSC' says why)"),
    "DISABLE_AFFECTS_OTHERS": lambda r: (
        f"disabling {_f(r, 'resources')} would also: {_f(r, 'actions')}"),
    "CHECKPOINT_NOT_FOUND": lambda r: (
        f"no checkpoint {_f(r, 'number')}: there are {_f(r, 'count')} "
        "(see 'vigil config checkpoint')"),
    "CHECKPOINT_RESTORED": lambda r: (
        f"restored the configuration of checkpoint {_f(r, 'number')} "
        f"(version {_f(r, 'version')}) as a new change"),
    "CRM_MON_MISSING": lambda r: (
        f"Pacemaker's crm_mon, which writes crm_mon's XML, is not installed at {_f(r, 'path')}: "
        "install pacemaker-cli-utils (vigil's install does), or use 'vigil status --output json'"),
    "CRM_MON_FAILED": lambda r: (
        f"crm_mon could not read this CIB (exit {_f(r, 'rc')}): {_f(r, 'detail')}"),
    "DEBUG_OUTSIDE_CLUSTER": lambda r: (
        f"the cluster does not learn of this {_f(r, 'action')} of {_f(r, 'resource')} and may "
        f"act against it: 'vigil resource unmanage {_f(r, 'resource')}' first if it manages it"),
    "DEBUG_RULE_SET_SKIPPED": lambda r: (
        f"{_f(r, 'resource')}: set {_f(r, 'set')} has a rule, which only the cluster can "
        "evaluate (node, time): its values are not passed"),
    "DEBUG_NEEDS_PRIMITIVE": lambda r: (
        f"{_f(r, 'resource')} is a group or a clone of a group: give one of its primitives"),
    "DEBUG_FENCE_DEVICE": lambda r: (
        f"{_f(r, 'resource')} is a fence device: 'vigil stonith fence NODE' uses it"),
    "INVALID_UTILIZATION": lambda r: (
        f"utilization {_f(r, 'name')}={_f(r, 'value')}: the value must be an integer"),
    "UTILIZATION_NEEDS_PRIMITIVE": lambda r: (
        f"{_f(r, 'resource')} is a group or clone: give utilization to its primitives"),
    "TICKET_MISSING": lambda r: f"no ticket given: add ticket=NAME to {_f(r, 'where')}",
    "TICKET_DEMOTE_NEEDS_PROMOTED": lambda r: (
        f"loss-policy=demote needs the Promoted role (of a promotable clone), which "
        f"{_f(r, 'resources')} is not given: add the role Promoted, or use stop, fence or freeze"),
    "TICKET_CONSTRAINT_NOT_FOUND": lambda r: (
        f"no ticket constraint of ticket {_f(r, 'ticket')} names {_f(r, 'resource')}"),
    "TICKET_NOT_FOUND": lambda r: (
        f"no ticket {_f(r, 'ticket')} here: no state and no constraint names it "
        "('vigil ticket list' shows the known ones)"),
    "TICKET_REVOKE_STOPS": lambda r: (
        f"without ticket {_f(r, 'ticket')} its loss-policy applies to {_f(r, 'resources')}"),
    "TICKET_CHANGED": lambda r: f"ticket {_f(r, 'ticket')}: {_f(r, 'change')} done",
    "ORDER_IN_SAME_GROUP": lambda r: (
        f"both resources are in group {_f(r, 'group')}, which already orders its members"),
    "ORDER_SCORE_DEPRECATED": lambda r: (
        "score= on an order constraint is deprecated: use kind=Mandatory|Optional|Serialize"),
    "ROLE_NEEDS_PROMOTABLE": lambda r: (
        f"{_f(r, 'resource')} is not a promotable clone, so it never has the role "
        f"{_f(r, 'role')}: constrain it with the role Started (or none), or make it "
        f"promotable with 'vigil resource promotable {_f(r, 'resource')}'"),
    "ACTION_NEEDS_PROMOTABLE": lambda r: (
        f"{_f(r, 'resource')} is not a promotable clone, so it is never {_f(r, 'action')}d: "
        "order it on start or stop"),
    "CIB_FILE_WRITTEN": lambda r: f"wrote {_f(r, 'section')} to {_f(r, 'path')}",
    "OPERATION_EXISTS": lambda r: (
        f"{_f(r, 'resource')} has a {_f(r, 'action')} operation every {_f(r, 'interval')} "
        f"already ({_f(r, 'id')})"),
    "OPERATION_NOT_FOUND": lambda r: (
        f"no operation {_f(r, 'what')}" + (f" on {_f(r, 'resource')}" if _f(r, "resource")
                                            else "")
        + " (see 'vigil resource config')"),
    "OPERATION_REMOVED": lambda r: f"removed operation {_f(r, 'id')} of {_f(r, 'resource')}",
    "NOT_A_FENCE_DEVICE": lambda r: (
        f"'{_f(r, 'resource')}' is not a fence device: use 'vigil resource' for it"),
    "CONSTRAINT_NOT_FOUND": lambda r: (
        f"no constraint has id '{_f(r, 'id')}' (see 'vigil constraint list --full')"),
    "COLOCATION_NOT_FOUND": lambda r: (
        f"no colocation of {_f(r, 'source')} with {_f(r, 'target')} "
        "(see 'vigil constraint colocation')"),
    "ORDER_NOT_FOUND": lambda r: (
        f"no order constraint names {_f(r, 'resources')} (see 'vigil constraint order')"),
}

_CLUSTER: dict[str, _Render] = {
    "PROPERTY_UNKNOWN": lambda r: (
        f"'{_f(r, 'name')}' is not a cluster property"
        + (f" (did you mean: {_f(r, 'suggestions')})" if _f(r, "suggestions") else "")
        + "; see 'vigil property list --all'"),
    "PROPERTY_READ_ONLY": lambda r: f"'{_f(r, 'name')}' is maintained by the cluster itself",
    "PROPERTY_NOT_SET": lambda r: f"property '{_f(r, 'name')}' is not set",
    "NODES_AND_ALL": lambda r: "give node names or --all, not both",
    "NODE_NEEDED": lambda r: "name the node(s), or give --all",
    "NODE_ATTRIBUTE_NOT_SET": lambda r: (
        f"node {_f(r, 'node')} has no attribute '{_f(r, 'name')}'"),
    "CIB_SECTION_UNKNOWN": lambda r: (
        f"'{_f(r, 'section')}' is not a CIB section (sections: {_f(r, 'known')})"),
    "PUSH_FILE_NOT_FOUND": lambda r: f"file '{_f(r, 'path')}' does not exist: nothing pushed",
    "CIB_PUSH_OLDER": lambda r: (
        f"the CIB to push (version {_f(r, 'pushed')}) is older than the current one "
        f"({_f(r, 'current')}): nothing pushed; get a fresh copy with 'vigil cib', or push only "
        "the configuration with --config"),
}

_RESTART: dict[str, _Render] = {
    "RESOURCE_NOT_RUNNING": lambda r: (
        f"{_f(r, 'resource')} is not running: there is nothing to restart (start it with "
        f"'vigil resource enable {_f(r, 'resource')}')"),
    "RESOURCE_NOT_RUNNING_ON_NODE": lambda r: (
        f"{_f(r, 'resource')} does not run on {_f(r, 'node')} (it runs on {_f(r, 'running')})"),
    "RESTART_TIMEOUT": lambda r: (
        f"{_f(r, 'resource')} did not {_f(r, 'phase')} within {_f(r, 'seconds')} s"
        + (f" (still running on {_f(r, 'where')})" if _f(r, "where") else "")
        + "; its target-role is back to what it was: see 'vigil status', or give more time "
        "with --wait=SECONDS"),
    "RESOURCE_RESTARTED": lambda r: (
        f"{_f(r, 'resource')} restarted" + (f", running on {_f(r, 'nodes')}" if _f(r, "nodes")
                                            else "")),
}


_CLUSTER_NODE: dict[str, _Render] = {
    "CLUSTER_NEEDS_ROOT": lambda r: (
        f"'vigil {_f(r, 'command')}' changes this machine's cluster files and daemons: run it "
        "as root"),
    "CLUSTER_ALL_NEEDS_A_NODE": lambda r: (
        f"--all means the nodes of this machine's cluster, and {_f(r, 'path')} lists none here: "
        "run it on a node of the cluster, or name the nodes"),
    "CLUSTER_NODE_NEEDS_A_MEMBER": lambda r: (
        f"cluster node add and remove run on a node of the cluster, and {_f(r, 'path')} is not "
        "here: run it on a member (or set the cluster up first: vigil cluster setup)"),
    "CLUSTER_FILES_INCOMPLETE": lambda r: (
        f"{_f(r, 'node')} was sent other files than a setup's three ({_f(r, 'detail')}): "
        "nothing written"),
    "CLUSTER_NOT_THIS_CLUSTER": lambda r: (
        f"{_f(r, 'node')} is in cluster '{_f(r, 'mine')}', not '{_f(r, 'theirs')}': its "
        "files were not changed"),
    "CLUSTER_NODE_EXISTS": lambda r: f"{_f(r, 'node')} is a node of the cluster already",
    "CLUSTER_NODE_NOT_FORGOTTEN": lambda r: (
        f"{_f(r, 'node')} left corosync.conf but the CIB still lists it ({_f(r, 'reason')}): "
        f"'vigil cluster node clear {_f(r, 'node')}' once the cluster runs"),
    "NODE_UNKNOWN": lambda r: f"the cluster knows no node {_f(r, 'node')}",
    "NODE_IS_MEMBER": lambda r: (
        f"{_f(r, 'node')} is a member of the cluster: stop it ('vigil cluster stop "
        f"{_f(r, 'node')}') before it is forgotten"),
    "CLUSTER_NODE_LINKS": lambda r: (
        f"{_f(r, 'node')} has {_f(r, 'given')} address(es) and the cluster {_f(r, 'links')} "
        "knet link(s): give one addr= per link"),
    "CLUSTER_NODE_NOT_IN_CLUSTER": lambda r: (
        f"{_f(r, 'node')} is not a node of this cluster (see corosync.conf's nodelist)"),
    "CLUSTER_NODE_REMOVE_SELF": lambda r: (
        f"{_f(r, 'node')} is the node this command runs on: remove it from another node"),
    "CLUSTER_NODE_LEFT_UNREACHABLE": lambda r: (
        f"{_f(r, 'node')} could not be reached: removed from the others' configuration, its "
        "own files stay on it (run 'vigil cluster destroy --force' there before it returns)"),
    "BACKUP_NOTHING": lambda r: (
        f"nothing to back up: no cluster files in {_f(r, 'path')} and no CIB (set the cluster "
        "up first, or name a CIB with -f)"),
    "BACKUP_UNREADABLE": lambda r: (
        f"{_f(r, 'path')} is not a vigil config backup ({_f(r, 'detail')}): nothing restored"),
    "RESTORE_CLUSTER_RUNNING": lambda r: (
        f"{_f(r, 'node')} runs its cluster ({_f(r, 'daemons')}): stop it first (vigil cluster "
        "stop --all, or on that node), then restore; nothing was restored"),
    "RESTORE_NO_NODES": lambda r: (
        "the backup has no corosync.conf naming nodes: restore it on this node with --local"),
    "REMOTE_NODE_NEEDS_REMOTED": lambda r: (
        f"start vigil-remoted on {_f(r, 'node')} (python3 -m vigil.daemon.remoted, port 3121) "
        "with the key every cluster node has in /etc/vigil/remote-authkey: the cluster connects "
        "to it and runs what it places there"),
    "REMOTE_NODE_NAME_TAKEN": lambda r: (
        f"'{_f(r, 'node')}' names a node or a resource already: choose another name"),
    "REMOTE_NODE_ADDRESS_TWICE": lambda r: (
        f"the address of {_f(r, 'node')} is given twice (ADDR and server=): give one"),
    "REMOTE_NODE_NOT_FOUND": lambda r: (
        f"no remote node '{_f(r, 'node')}' (an ocf:pacemaker:remote resource of that name or "
        "server)"),
    "GUEST_NODE_NOT_PRIMITIVE": lambda r: (
        f"{_f(r, 'rsc')} is not a primitive: a guest node runs inside one resource (a VM, a "
        "container)"),
    "GUEST_NODE_ALREADY": lambda r: (
        f"{_f(r, 'rsc')} holds the guest node {_f(r, 'node')} already"),
    "GUEST_NODE_OPTION_UNKNOWN": lambda r: (
        f"'{_f(r, 'option')}' is not a guest node option ({_f(r, 'allowed')})"),
    "GUEST_NODE_NOT_FOUND": lambda r: (
        f"no guest node '{_f(r, 'node')}' (a resource with remote-node={_f(r, 'node')})"),
    "REPORT_PART_UNREADABLE": lambda r: (
        f"{_f(r, 'node')}'s part of the report does not read ({_f(r, 'detail')})"),
    "UIDGID_NOTHING_GIVEN": lambda r: "give uid=UID, gid=GID or both",
    "UIDGID_BAD_VALUE": lambda r: (
        f"'{_f(r, 'value')}' is not a {_f(r, 'key')} (a user or group name, or a number)"),
    "UIDGID_EXISTS": lambda r: (
        f"uid={_f(r, 'uid')} gid={_f(r, 'gid')} is configured already (vigil cluster uidgid)"),
    "UIDGID_NOT_FOUND": lambda r: (
        f"no uidgid entry has uid={_f(r, 'uid')} gid={_f(r, 'gid')} (vigil cluster uidgid "
        "lists them)"),
    "UIDGID_SHARED_FILE": lambda r: (
        f"/etc/corosync/uidgid.d/{_f(r, 'file')} holds other entries too: edit it by hand"),
    "COROSYNC_NOT_RELOADED": lambda r: (
        f"no member runs Corosync ({_f(r, 'nodes')}): they read the new corosync.conf when "
        "they start"),
    "CLUSTER_BOOT_NOT_MANAGED": lambda r: (
        f"{_f(r, 'node')} runs no systemd: what starts at its boot is its init's, not "
        f"'vigil {_f(r, 'command')}' (a lab node starts the cluster at boot once it is set up)"),
    "CLUSTER_FILE_EXISTS": lambda r: (
        f"{_f(r, 'path')} exists already: nothing written (it may describe a cluster in use)"),
    "CLUSTER_FILE_UNWRITABLE": lambda r: (
        f"cannot write {_f(r, 'path')}: {_f(r, 'detail')}"),
    "CLUSTER_IS_RUNNING": lambda r: (
        f"the cluster runs on this node: stop it first with 'vigil cluster stop' before "
        f"'vigil {_f(r, 'command')}'"),
    "CLUSTER_SETUP_HOST_NOT_A_NODE": lambda r: (
        f"this machine ({_f(r, 'host')}) is not one of the nodes ({_f(r, 'nodes')}): the files "
        "written here are only useful once copied to the nodes"),
    "CLUSTER_NOT_SET_UP": lambda r: (
        f"{_f(r, 'path')} does not exist: set the cluster up with 'vigil cluster setup' (or "
        "copy the files it wrote from the node where it ran)"),
    "CLUSTER_SERVICE_FAILED": lambda r: (
        f"'systemctl {_f(r, 'action')}' failed: {_f(r, 'detail')} (see journalctl -u corosync "
        "-u vigild)"),
    "COROSYNC_NOT_INSTALLED": lambda r: (
        "corosync is not installed on this machine (apt-get install corosync)"),
    "COROSYNC_START_FAILED": lambda r: (
        f"corosync did not start: {_f(r, 'detail')} (see {_f(r, 'log')})"),
    "VIGILD_START_FAILED": lambda r: f"vigild did not start: {_f(r, 'detail')} (see {_f(r, 'log')})",
    "CLUSTER_START_TIMEOUT": lambda r: (
        f"started, but waited {_f(r, 'seconds')} s for {_f(r, 'waiting_for')} in vain: see "
        "'vigil status' and the logs in /var/log/vigil and /var/log/corosync"),
    "CLUSTER_NOT_RUNNING": lambda r: "the cluster does not run on this node: nothing to stop",
    "VIGILD_NOT_ANSWERING": lambda r: (
        f"vigild runs but does not answer at {_f(r, 'socket')}, so its resources cannot be "
        "moved off this node first"),
    "VIGILD_NOT_STARTED_BY_VIGIL": lambda r: (
        f"vigild answers but {_f(r, 'pidfile')} does not name it: it was not started by "
        "'vigil cluster start'; stop it with whatever started it"),
    "CLUSTER_STOP_LOSES_QUORUM": lambda r: (
        f"stopping this node would leave {_f(r, 'votes')} votes, fewer than the "
        f"{_f(r, 'needed')} the others need for quorum: they would stop their resources"),
    "CLUSTER_DRAIN_TIMEOUT": lambda r: (
        f"{_f(r, 'resources')} still ran on {_f(r, 'node')} after {_f(r, 'seconds')} s: the node "
        "keeps running and takes resources again (more time: --wait=SECONDS)"),
    # corosync.conf validation (vigil.clusterconf)
    "COROSYNC_CLUSTER_NAME_INVALID": lambda r: (
        f"'{_f(r, 'name')}' cannot be a cluster name: use up to 64 letters, digits, '.', '_' or "
        "'-', starting with a letter or digit"),
    "COROSYNC_NO_NODES": lambda r: "a cluster needs at least one node",
    "COROSYNC_NODE_NAME_INVALID": lambda r: (
        f"'{_f(r, 'node')}' cannot be a node name: use up to 64 letters, digits, '.', '_' or "
        "'-', starting with a letter or digit"),
    "COROSYNC_NODE_NAME_DUPLICATE": lambda r: f"node '{_f(r, 'node')}' is given twice",
    "COROSYNC_NODEID_INVALID": lambda r: (
        f"node id {_f(r, 'nodeid')} of {_f(r, 'node')} is not between 1 and 2147483647"),
    "COROSYNC_NODEID_DUPLICATE": lambda r: (
        f"node id {_f(r, 'nodeid')} of {_f(r, 'node')} is used by another node"),
    "COROSYNC_LINK_COUNT_INVALID": lambda r: (
        f"{_f(r, 'node')} has {_f(r, 'links')} addresses: give 1 or {_f(r, 'max')} "
        "(one per knet link, NODE=ADDR[,ADDR2])"),
    "COROSYNC_LINK_COUNT_MISMATCH": lambda r: (
        f"the nodes have different numbers of addresses ({_f(r, 'counts')}): every node needs "
        "one address on each link"),
    "COROSYNC_ADDRESS_INVALID": lambda r: (
        f"'{_f(r, 'address')}' (of {_f(r, 'node')}) is neither an IP address nor a host name"),
    "COROSYNC_ADDRESS_DUPLICATE": lambda r: (
        f"address {_f(r, 'address')} of {_f(r, 'node')} is also another node's address"),
    "COROSYNC_TOKEN_INVALID": lambda r: (
        f"a token of {_f(r, 'token_ms')} ms is out of range: give 10 to 600000 ms"),
    "COROSYNC_TOKEN_COEFFICIENT_INVALID": lambda r: (
        f"a token coefficient of {_f(r, 'token_coefficient_ms')} ms is out of range: give 0 to "
        "600000 ms"),
    "COROSYNC_KNET_PING_INVALID": lambda r: (
        f"knet ping interval {_f(r, 'interval_ms')} ms and timeout {_f(r, 'timeout_ms')} ms: give "
        "1 to 600000 ms each, the interval below the timeout"),
    "COROSYNC_PATH_INVALID": lambda r: (
        f"{_f(r, 'option')} '{_f(r, 'path')}' must be an absolute path without spaces or braces"),
}

# `vigil host ...` and `vigil --host NODE ...` (vigil.commands.remote, the endpoint's refusals)
_REMOTE: dict[str, _Render] = {
    "REMOTE_HOST_NOT_AUTHENTICATED": lambda r: (
        f"this machine has no token for {_f(r, 'host')}: run 'vigil host auth {_f(r, 'host')}' "
        "first"),
    "REMOTE_HOSTS_NOT_AUTHENTICATED": lambda r: (
        f"this machine has no token for {_f(r, 'hosts')}: run "
        f"'vigil host auth {_f(r, 'hosts').replace(',', '')}' first"),
    "REMOTE_BAD_ADDRESS": lambda r: (
        f"'{_f(r, 'address')}' (for {_f(r, 'host')}) is not an address: give addr=HOST[:PORT]"),
    "REMOTE_UNREACHABLE": lambda r: (
        f"{_f(r, 'host')} ({_f(r, 'address')}) cannot be reached: {_f(r, 'detail')}; is its "
        "remote endpoint running (python3 -m vigil.api) and port 2224 open?"),
    "REMOTE_CERTIFICATE_CHANGED": lambda r: (
        f"{_f(r, 'host')} shows another certificate than the one pinned (pinned "
        f"{_f(r, 'pinned')}, now {_f(r, 'now')}): nothing was sent. If the node was reinstalled "
        f"and you checked the new fingerprint, run 'vigil host auth {_f(r, 'host')} --force'"),
    "REMOTE_BAD_REPLY": lambda r: (
        f"{_f(r, 'host')} answered HTTP {_f(r, 'status')} without a vigil reply "
        f"({_f(r, 'detail')}): is it a vigil endpoint on that port?"),
    "REMOTE_AUTH_FAILED": lambda r: (
        f"{_f(r, 'host')} refused user '{_f(r, 'user')}' with this password (a member of the "
        "haclient group, with the password set by 'passwd' or 'vigil host password' there)"),
    "REMOTE_TOKEN_REJECTED": lambda r: (
        f"{_f(r, 'host')} no longer accepts this machine's token: run 'vigil host auth "
        f"{_f(r, 'host')}' again"),
    "REMOTE_BAD_REQUEST": lambda r: f"{_f(r, 'host')} could not read the request",
    "REMOTE_DAEMON_NOT_RUNNING": lambda r: (
        f"vigild is not running on {_f(r, 'host')}: start the cluster there or ask another node "
        "with --host"),
    "REMOTE_DAEMON_UNREACHABLE": lambda r: (
        f"vigild on {_f(r, 'host')} did not answer ({_f(r, 'detail')})"),
    "REMOTE_NODE_OP_FAILED": lambda r: (
        f"'cluster {_f(r, 'op')}' failed on {_f(r, 'node')} without an answer "
        f"({_f(r, 'detail')}): see that node's endpoint log"),
    "REMOTE_NO_STATUS": lambda r: (
        f"{_f(r, 'host')} cannot read the cluster's status ({_f(r, 'detail')})"),
    "REMOTE_USER_NOT_IN_GROUP": lambda r: (
        f"user '{_f(r, 'user')}' does not exist or is not in the haclient group: the endpoint "
        "would refuse it whatever its password (add it: usermod -aG haclient USER)"),
    "KNOWN_HOSTS_UNREADABLE": lambda r: (
        f"cannot read the known hosts {_f(r, 'path')} ({_f(r, 'detail')}): fix or remove it and "
        "run 'vigil host auth' again"),
}

MESSAGES: dict[str, _Render] = {**_ENV, **_AGENTS, **_RESOURCES, **_CONSTRAINTS, **_CLUSTER,
                                **_RESTART, **_CLUSTER_NODE, **_REMOTE}

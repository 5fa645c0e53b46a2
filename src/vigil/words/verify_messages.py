"""English text for the findings of `vigil verify`: what is risky, what happens when it goes
wrong, and what to do instead."""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.reports import Report

_Render = Callable[[Report], str]


def _f(r: Report, name: str) -> str:
    return r.field(name)


def _quorum_ignore(r: Report) -> str:
    if _f(r, "fencing") == "enabled":
        risk = ("with fencing, the two halves of a split race to fence each other and the "
                "loser's services are cut off by force")
    else:
        risk = ("without fencing, both halves of a split run the same resources at once: a "
                "split brain that corrupts shared data")
    return (f"no-quorum-policy=ignore: a partition keeps running resources without quorum; "
            f"{risk}. Set no-quorum-policy=stop (the default) and let Corosync decide: in a "
            "two-node cluster its two_node: 1 (which vigil cluster setup writes) keeps the "
            "survivor quorate, or add a quorum device (vigil quorum device add)")


def _on_fail_not_allowed(r: Report) -> str:
    if _f(r, "action") == "stop":
        allowed = ("a stop allows ignore, block, restart or fence; its default is fence, or "
                   "block without fencing")
    else:
        allowed = "demote is only for a promote or a recurring monitor with role=Promoted"
    return (f"operation {_f(r, 'operation')} of {_f(r, 'rsc')} ({_f(r, 'action')}) has "
            f"on-fail={_f(r, 'on_fail')}, which Pacemaker does not allow there and replaces "
            f"with the default: {allowed}")


MESSAGES: dict[str, _Render] = {
    # what crm_verify counts against a configuration though Pacemaker only warns of it
    # (commands.verify_pacemaker): the configuration "may not be valid", exit 2 as crm_verify's 78
    "VERIFY_NODE_UNCLEAN": lambda r: (
        f"node {_f(r, 'node')} is unclean ({_f(r, 'reason')}): the cluster fences it before "
        "anything else; crm_verify counts this against the configuration"),
    "VERIFY_NODE_FENCED": lambda r: (
        f"the cluster fences node {_f(r, 'node')} ({_f(r, 'reason')}); crm_verify counts this "
        "against the configuration"),
    "VERIFY_FAILURE_TIMEOUT_BLOCKED": lambda r: (
        f"{_f(r, 'rsc')}'s failure-timeout ({_f(r, 'timeout')} s) is ignored: a failure of an "
        "operation with on-fail=block is recorded, and a blocked failure stays until it is "
        f"cleaned up (vigil resource cleanup {_f(r, 'rsc')}); crm_verify counts this against "
        "the configuration"),
    "VERIFY_ACTIVE_ORPHAN": lambda r: (
        f"{_f(r, 'rsc')} is active on {_f(r, 'node')} but no longer configured: the cluster "
        "stops it (or leaves it to be stopped by hand with stop-orphan-resources=false)"),
    "VERIFY_RESTART_TYPE": lambda r: (
        f"{_f(r, 'rsc')} uses the restart-type meta-attribute, which Pacemaker deprecates and "
        "will remove: remove it (ordering constraints say what restarts with what)"),
    "VERIFY_GROUP_UNORDERED": lambda r: (
        f"group {_f(r, 'group')} has ordered=false (its own or its clone's), which Pacemaker "
        "deprecates and will remove: use an unordered resource set instead"),
    "VERIFY_TARGET_ROLE_NOT_PROMOTABLE": lambda r: (
        f"{_f(r, 'rsc')} has target-role={_f(r, 'role')}, which only makes sense in a "
        "promotable clone: Pacemaker ignores it; use Started or Stopped"),
    "VERIFY_UNIQUE_LSB_CLONE": lambda r: (
        f"clone {_f(r, 'clone')} is globally-unique but holds the lsb resource {_f(r, 'rsc')}, "
        "which can only be anonymous: Pacemaker ignores globally-unique; set it false"),
    "VERIFY_ORDER_REQUIRE_ALL": lambda r: (
        f"ordering constraint {_f(r, 'id')} uses require-all, which Pacemaker deprecates and "
        "will remove: write it as an ordered set with require-all=false"),
    "VERIFY_STONITH_ACTION_POWEROFF": lambda r: (
        "stonith-action=poweroff is deprecated in Pacemaker: use stonith-action=off (the same "
        "action)"),
    "VERIFY_NODE_STATE_UNKNOWN": lambda r: (
        f"the status records node {_f(r, 'node')}, which the configuration no longer has: "
        f"Pacemaker ignores it; forget it (vigil cluster node clear {_f(r, 'node')})"),
    "VERIFY_ON_FAIL_NOT_ALLOWED": _on_fail_not_allowed,
    "VERIFY_ON_FAIL_FENCE_DISABLED": lambda r: (
        f"operation {_f(r, 'operation')} of {_f(r, 'rsc')} has on-fail=fence but fencing is "
        "disabled (stonith-enabled=false): Pacemaker cannot fence and resets it to stop. "
        "Enable fencing, or choose another on-fail"),
    "VERIFY_REQUIRES_FENCING_DISABLED": lambda r: (
        (f"{_f(r, 'rsc')} has" if _f(r, "rsc") else "the resource defaults set")
        + f" requires={_f(r, 'value')} but fencing is disabled (stonith-enabled=false): "
        "nothing can be fenced first, so Pacemaker uses requires=quorum instead. Enable "
        "fencing, or remove requires"),
    "VERIFY_INFLUENCE_INVALID": lambda r: (
        f"colocation {_f(r, 'id')} has influence='{_f(r, 'value')}', which is not a boolean: "
        "Pacemaker ignores it and uses the default (the dependent's critical meta-attribute). "
        "Set influence=true or false, or remove it"),
    "VERIFY_ORDER_KIND_INVALID": lambda r: (
        f"ordering constraint {_f(r, 'id')} has kind='{_f(r, 'kind')}', which is none of "
        "Mandatory, Optional, Serialize: Pacemaker makes it Mandatory. Set the kind you mean"),
    "VERIFY_COLOCATION_OF_REFERENCES": lambda r: (
        f"colocation {_f(r, 'id')} names a tag or template on both sides ({_f(r, 'rsc')} with "
        f"{_f(r, 'with_rsc')}): Pacemaker ignores it whole. Name a tag or template on one "
        "side only, a resource on the other"),
    "FENCING_DISABLED": lambda r: (
        "fencing is disabled (stonith-enabled=false): a split brain can corrupt shared data, "
        "because a node that stops answering is assumed down while it may still write to it, "
        "and a failed stop leaves the resource blocked. Configure a fence device (vigil "
        "stonith create ...) and enable fencing (vigil property set stonith-enabled=true)"),
    "FENCING_WITHOUT_DEVICE": lambda r: (
        "fencing is enabled but no fence device is configured: nothing would ever be fenced, "
        "so a lost node's resources are never recovered elsewhere and a failed stop leaves the "
        "resource unmanaged. Create a fence device for every node (vigil stonith create ID "
        "AGENT ... pcmk_host_list=NODE)"),
    "TWO_NODE_WITHOUT_FENCING_DELAY": lambda r: (
        f"two-node cluster without a fencing delay (devices: {_f(r, 'devices')}): when the "
        "link between the nodes breaks, both nodes may fence each other at the same moment "
        "and both go down. Set pcmk_delay_max=15s on the fence devices (vigil stonith update "
        "ID pcmk_delay_max=15s), or a fixed pcmk_delay_base on one node's device, or "
        "priority-fencing-delay (vigil property set priority-fencing-delay=15s)"),
    "NO_QUORUM_POLICY_IGNORE": _quorum_ignore,
    "NO_QUORUM_POLICY_IGNORE_MANY_NODES": lambda r: (
        f"no-quorum-policy=ignore in a cluster of {_f(r, 'nodes')} nodes: a majority partition "
        "has quorum anyway, so ignoring it only lets a minority partition keep running "
        "resources the majority also runs ("
        + ("a fencing race" if _f(r, "fencing") == "enabled" else "a split brain, without "
           "fencing")
        + "). Set no-quorum-policy=stop (vigil property set no-quorum-policy=stop)"),
    "RESOURCE_WITHOUT_MONITOR": lambda r: (
        f"{_f(r, 'resource')} has no recurring monitor operation: its failures go unnoticed "
        f"until something else breaks. Add one (vigil resource update {_f(r, 'resource')} op "
        "monitor interval=30s)"),
    "OPERATION_NEVER_RUNS": lambda r: (
        f"operation '{_f(r, 'operation')}' of {_f(r, 'resource')} is not an action agents "
        "know: it never runs"
        + (f" (did you mean '{_f(r, 'suggestion')}'?)" if _f(r, "suggestion") else "")
        + ". Correct or remove it in the CIB (vigil cib > cib.xml; edit; vigil cib-push "
        "cib.xml)"),
    "RESTART_WITHOUT_MIGRATION_THRESHOLD": lambda r: (
        f"{_f(r, 'resource')} is restarted in place on every monitor failure and "
        "migration-threshold is not set: a resource that keeps failing restarts on the same "
        "node again and again. To move it after repeated failures, set migration-threshold "
        f"(vigil resource meta {_f(r, 'resource')} migration-threshold=3 failure-timeout=10min)"),
    "GROUP_MEMBER_STOPPED": lambda r: (
        f"{_f(r, 'member')} has target-role=Stopped inside group {_f(r, 'group')}, which is not "
        "stopped: the member stays stopped"
        + (f" and so do the members after it ({_f(r, 'after')})" if _f(r, "after") else "")
        + f". Stop or start the whole group (vigil resource disable|enable {_f(r, 'group')}) "
        f"and remove the member's own target-role (vigil resource meta {_f(r, 'member')} "
        "target-role=)"),
    "GROUP_STOPPED_MEMBER_STARTED": lambda r: (
        f"{_f(r, 'member')} has target-role={_f(r, 'role')} but its group {_f(r, 'group')} is "
        "stopped: the group's role wins and the member stays stopped. Set the role on the "
        f"group only (vigil resource enable {_f(r, 'group')}; vigil resource meta "
        f"{_f(r, 'member')} target-role=)"),
    "GROUP_MEMBER_ROLE_DIFFERS": lambda r: (
        f"{_f(r, 'member')} has target-role={_f(r, 'role')} while its group {_f(r, 'group')} "
        f"has {_f(r, 'group_role')}: the more limiting of the two applies. Set target-role on "
        f"the group only (vigil resource meta {_f(r, 'member')} target-role=)"),
    "RESOURCE_RETURNS_TO_PREFERRED_NODE": lambda r: (
        f"{_f(r, 'resource')} prefers {_f(r, 'node')} with score {_f(r, 'score')} (constraint "
        f"{_f(r, 'constraint')}) and its resource-stickiness is {_f(r, 'stickiness')}: after "
        f"a failover it moves back as soon as {_f(r, 'node')} recovers, a second interruption. "
        "If it should stay where it is, set a stickiness higher than the preference (vigil "
        "resource defaults resource-stickiness=INFINITY, or lower the constraint's score)"),
    "FENCING_LEVEL_UNKNOWN_DEVICE": lambda r: (
        f"fencing level {_f(r, 'level')} for {_f(r, 'target')} names '{_f(r, 'device')}', which "
        "is not a fence device of this cluster: create it or fix the level"),
    "FENCING_LEVEL_UNKNOWN_TARGET": lambda r: (
        f"fencing level {_f(r, 'level')} is for node '{_f(r, 'target')}', which is not in the "
        "cluster: it is never used. Fix the node name or remove the level"),
    "PROPERTY_VALUE_IGNORED": lambda r: (
        f"cluster property {_f(r, 'name')}={_f(r, 'value')} is not valid (it must be "
        f"{_f(r, 'expected')}): the default"
        + (f" ({_f(r, 'default')})" if _f(r, "default") else "")
        + f" applies instead. Fix it with 'vigil property set {_f(r, 'name')}=VALUE'"),
    # the fencer's findings (vigil.fencer.devices.config_reports)
    "OPERATION_DUPLICATE": lambda r: (
        f"resource '{r.field('resource')}' has operation '{r.field('operation')}' with the "
        f"name and interval of '{r.field('first')}' ({r.field('name')} every "
        f"{r.field('interval')}): Pacemaker runs only one of them; give each a different "
        "interval (a role alone does not tell them apart) or remove one"),
    "FENCE_AGENT_INVALID": lambda r: (
        f"fence device {_f(r, 'device')} has agent '{_f(r, 'agent')}', which is not a fence "
        "agent name (fence_...): it can never run. Recreate the device with its agent"),
    "FENCE_HOST_MAP_INVALID": lambda r: (
        f"pcmk_host_map of {_f(r, 'device')} ('{_f(r, 'value')}') does not parse"
        + (f" near {_f(r, 'near')}" if _f(r, "near") else "")
        + ": write it as node1:port1;node2:port2 (vigil stonith update "
        f"{_f(r, 'device')} pcmk_host_map=...)"),
    "FENCE_HOST_CHECK_INVALID": lambda r: (
        f"pcmk_host_check of {_f(r, 'device')} is '{_f(r, 'value')}': the device fences "
        f"nothing. Use one of {_f(r, 'allowed')}"),
    "FENCE_PARAMETER_INVALID": lambda r: (
        f"{_f(r, 'name')} of {_f(r, 'device')} is '{_f(r, 'value')}', which the fencer cannot "
        f"use: fix it (vigil stonith update {_f(r, 'device')} {_f(r, 'name')}=...)"),
    "FENCE_DELAY_BASE_ABOVE_MAX": lambda r: (
        f"pcmk_delay_base ({_f(r, 'base')}) of {_f(r, 'device')} is above its pcmk_delay_max "
        f"({_f(r, 'max')}): the random delay is drawn from base to max, so make max the larger"),
    "FENCE_DEVICE_NO_TARGET": lambda r: (
        f"fence device {_f(r, 'device')} uses pcmk_host_check={_f(r, 'host_check')} but lists "
        "no node: it fences nothing. Set pcmk_host_list or pcmk_host_map"),
    "FENCE_DEVICE_NO_KNOWN_TARGET": lambda r: (
        f"fence device {_f(r, 'device')} can fence {_f(r, 'targets')}, none of which is a node "
        f"of the cluster ({_f(r, 'nodes')}): check pcmk_host_list / pcmk_host_map"),
    "FENCE_LEVEL_INVALID": lambda r: (
        f"fencing level {_f(r, 'level')} is invalid ({_f(r, 'detail')}) and is ignored: remove "
        "it and add it again (vigil stonith level add LEVEL NODE DEVICE[,DEVICE...])"),
    "FENCE_LEVEL_DEVICE_UNKNOWN": lambda r: (
        f"fencing level {_f(r, 'level')} names '{_f(r, 'device')}', which is not a fence "
        "device: that level always fails. Create the device, or remove the level (vigil "
        "stonith level remove LEVEL NODE) and add it with fence devices"),
    "FENCE_LEVEL_DUPLICATE": lambda r: (
        f"fencing levels {_f(r, 'other')} and {_f(r, 'level')} have the same target and index "
        f"{_f(r, 'index')}: remove one"),
    "COROSYNC_CONF_IGNORED": lambda r: (
        f"{_f(r, 'path')} could not be read ({_f(r, 'detail')}): the checks use the CIB's "
        "nodes only"),
}

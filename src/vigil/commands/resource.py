"""Library commands on resources: create, update, delete, group, enable and disable, defaults.

Each command takes the environment first, computes a whole new CIB from one snapshot with pure
transformations of the frozen model, and pushes it in one step (`edit.apply`). Reports are
data: errors raise, warnings and infos come back in the `Applied` result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import agents as agent_lib
from vigil.commands import clone as clone_lib
from vigil.commands import edit, fencing_topology, options
from vigil.commands.agents import AgentCatalog, AgentMetadata
from vigil.commands.clone import CloneSpec
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Constraint, UnknownConstraint
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import NvPair, NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, Operation, Primitive, Resource
from vigil.model.values import is_true

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OpSpec:
    """`op ACTION k=v...` as the operator typed it."""

    action: str
    options: Pairs = ()


@dataclass(frozen=True)
class ResourceSpec:
    """The attributes of `resource create|update ID ... k=v... [op ...]... [meta k=v...]`."""

    instance: Pairs = ()
    operations: tuple[OpSpec, ...] = ()
    meta: Pairs = ()


# -- create ------------------------------------------------------------------------------------
def create(env: CibEnvironment, resource_id: str, agent: str, spec: ResourceSpec, *,
           group: str | None = None, before: str | None = None, after: str | None = None,
           disabled: bool = False, force: bool = False, no_default_ops: bool = False,
           catalog: AgentCatalog | None = None, stonith: bool = False,
           clone: CloneSpec | None = None) -> Applied:
    """Create a primitive (a fence device with `stonith`), optionally into a group or in a new
    clone (promotable if the spec says so)."""
    name, meta, found = agent_lib.resolve(agent, catalog, force=force,
                                          default_standard="stonith" if stonith else None)
    if stonith and name.standard != "stonith":
        raise ReportError([reports.error("INVALID_AGENT_NAME", agent=agent,
                                         reason="a fence device needs a stonith agent")])
    if not stonith and name.standard == "stonith":
        found.append(reports.unless_forced(force, "STONITH_VIA_RESOURCE_CREATE",
                                           resource=resource_id))
    if (before or after) and group is None:
        raise ReportError([reports.error("POSITION_NEEDS_GROUP")])
    if before and after:
        raise ReportError([reports.error("BEFORE_AND_AFTER")])
    if clone is not None and group is not None:
        raise ReportError([reports.error("CLONE_AND_GROUP", resource=resource_id, group=group)])
    if clone is not None and stonith:
        raise ReportError([reports.error("CANNOT_CLONE_STONITH", resource=resource_id)])
    instance = dict(spec.instance)
    found += agent_lib.check_parameters(meta, instance, force=force, creating=True)
    if clone is not None:
        found += clone_lib.meta_problems(clone.meta, force)
        if clone.promotable and meta is not None and not clone_lib.can_promote(meta):
            found.append(reports.unless_forced(force, "AGENT_NOT_PROMOTABLE",
                                               resource=resource_id, agent=str(name)))

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out = list(found)
        problem = edit.id_problem(resource_id, "resource")
        if problem:
            raise ReportError([problem])
        taken = edit.used_ids(cib)
        if resource_id in taken:
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=resource_id)])
        taken.add(resource_id)
        primitive = Primitive(id=resource_id, standard=name.standard, agent_type=name.type,
                              provider=name.provider)
        primitive = dataclasses.replace(
            primitive,
            instance_attributes=edit.set_pairs((), spec.instance, taken=taken,
                                               set_id=f"{resource_id}-instance_attributes"),
            operations=_new_operations(resource_id, spec.operations, meta, taken, out,
                                       force=force, default_ops=not no_default_ops))
        meta_pairs = list(spec.meta)
        out += _meta_problems(meta_pairs, force)
        if disabled:
            meta_pairs = [(k, v) for k, v in meta_pairs if k != "target-role"]
            meta_pairs.append(("target-role", "Stopped"))
        primitive = dataclasses.replace(primitive, meta_attributes=edit.set_pairs(
            (), meta_pairs, taken=taken, set_id=f"{resource_id}-meta_attributes"))
        config = cib.configuration
        if clone is not None:
            new_clone = clone_lib.wrap(cib, primitive, clone, taken)
            # the agent was checked above, with the metadata this command resolved
            out += clone_lib.clone_problems(cib, new_clone, force=force)
            edit.check(out)
            resources: tuple[Resource, ...] = (*config.resources, new_clone)
        elif group is None:
            resources = (*config.resources, primitive)
        else:
            resources = _into_group(cib, group, (primitive,), before, after, out)
        return with_resources(cib, resources), out

    return edit.apply(env, change)


def with_resources(cib: Cib, resources: tuple[Resource, ...]) -> Cib:
    return edit.with_config(cib, resources=resources)


def _meta_problems(pairs: Sequence[tuple[str, str]], force: bool) -> list[Report]:
    known = options.by_name(options.RESOURCE_META)
    out = []
    for name, value in pairs:
        spec = known.get(name)
        if spec is None or value == "":
            continue
        wanted = options.value_problem(spec, value)
        if wanted:
            out.append(reports.unless_forced(force, "INVALID_OPTION_VALUE", option=name,
                                             value=value, expected=wanted))
    return out


def _new_operations(rsc_id: str, specs: Sequence[OpSpec], meta: AgentMetadata | None,
                    taken: set[str], out: list[Report], *, force: bool,
                    default_ops: bool) -> tuple[Operation, ...]:
    ops = [_operation(rsc_id, spec, meta, taken, out, force=force) for spec in specs]
    if default_ops and not any(op.name == "monitor" for op in ops):
        for default in _default_monitors(meta):
            ops.append(_operation(rsc_id, default, meta, taken, out, force=force))
    seen: set[tuple[str, int, str | None]] = set()
    for op in ops:
        key = (op.name, op.interval_ms, op.role)
        if key in seen:
            raise ReportError([reports.error("OPERATION_DUPLICATE", resource=rsc_id,
                                             action=op.name, interval=op.interval)])
        seen.add(key)
    return tuple(ops)


def _default_monitors(meta: AgentMetadata | None) -> list[OpSpec]:
    """The monitors the agent's metadata advertises with an interval: one without a role, or
    one per role (a promotable agent such as Stateful monitors Promoted and Unpromoted
    instances at different intervals); 60s without metadata."""
    found: list[OpSpec] = []
    actions = [a for a in (meta.actions if meta else ()) if a.name == "monitor" and a.interval
               and parse_interval_ms(a.interval)]
    plain = [a for a in actions if a.role is None]
    for action in plain[:1] or actions:
        words: tuple[tuple[str, str], ...] = (("interval", action.interval or "60s"),)
        if action.timeout:
            words += (("timeout", action.timeout),)
        if action.role is not None:
            words += (("role", action.role),)
        found.append(OpSpec("monitor", words))
    return found or [OpSpec("monitor", (("interval", "60s"),))]


def _operation(rsc_id: str, spec: OpSpec, meta: AgentMetadata | None, taken: set[str],
               out: list[Report], *, force: bool) -> Operation:
    action = spec.action
    allowed = {a.name for a in meta.actions} | set(agent_lib.KNOWN_ACTIONS) if meta else set(
        agent_lib.KNOWN_ACTIONS)
    if action not in allowed:
        out.append(reports.warning("OPERATION_NAME_UNKNOWN", action=action,
                                   suggestion=agent_lib.action_suggestion(action)))
    known = options.by_name(options.OPERATION_OPTIONS)
    values: dict[str, str] = {}
    for key, value in spec.options:
        opt = known.get(key)
        if opt is None:
            out.append(reports.unless_forced(force, "INVALID_OPTION", option=key,
                                             where=f"operation {action}",
                                             allowed=", ".join(sorted(known))))
            continue
        wanted = options.value_problem(opt, value)
        if wanted:
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option=key, value=value,
                                             expected=wanted)])
        values[key] = value
    interval = values.pop("interval", "60s" if action == "monitor" else "0s")
    interval_ms = parse_interval_ms(interval)
    assert interval_ms is not None  # checked as a "time" above, or a default
    op_id = values.pop("id", None)
    if op_id is not None:
        problem = edit.id_problem(op_id, "operation")
        if problem:
            raise ReportError([problem])
        if op_id in taken:
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=op_id)])
        taken.add(op_id)
    else:
        op_id = edit.unique_id(taken, f"{rsc_id}-{action}-interval-{interval}")
    check_level = values.pop("OCF_CHECK_LEVEL", None)
    instance: tuple[NvSet, ...] = ()
    if check_level is not None:
        set_id = edit.unique_id(taken, f"{op_id}-instance_attributes")
        instance = (NvSet(set_id, (NvPair(edit.unique_id(taken, f"{set_id}-OCF_CHECK_LEVEL"),
                                          "OCF_CHECK_LEVEL", check_level),)),)
    role = values.pop("role", None)
    enabled = values.pop("enabled", None)
    op = Operation(
        id=op_id, name=action, interval=interval, interval_ms=interval_ms,
        role=options.canonical_role(role) or role if role else None,
        on_fail=values.pop("on-fail", None), timeout=values.pop("timeout", None),
        enabled=is_true(enabled, default=True),
        instance_attributes=instance)
    extra = tuple(values.items())
    if extra:
        op = dataclasses.replace(op, extra=dataclasses.replace(op.extra, attrs=extra))
    return op


# -- groups ------------------------------------------------------------------------------------
def _into_group(cib: Cib, group_id: str, members: tuple[Primitive, ...], before: str | None,
                after: str | None, out: list[Report]) -> tuple[Resource, ...]:
    """The top-level resources with `members` put into group `group_id` (created if needed)."""
    existing = edit.find_resource(cib, group_id)
    resources = cib.configuration.resources
    if existing is None:
        problem = edit.id_problem(group_id, "group")
        if problem:
            raise ReportError([problem])
        if group_id in edit.used_ids(cib):
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=group_id)])
        if before or after:
            raise ReportError([reports.error("RESOURCE_NOT_IN_GROUP", resource=before or after,
                                             group=group_id)])
        out.append(reports.info("GROUP_CREATED", group=group_id))
        return (*resources, Group(id=group_id, members=members))
    if not isinstance(existing, Group):
        raise ReportError([reports.error("NOT_A_GROUP", id=group_id)])
    current = list(existing.members)
    at = len(current)
    anchor = before or after
    if anchor is not None:
        ids = [m.id for m in current]
        if anchor not in ids:
            raise ReportError([reports.error("RESOURCE_NOT_IN_GROUP", resource=anchor,
                                             group=group_id)])
        at = ids.index(anchor) + (1 if after else 0)
    current[at:at] = members
    return replace_resource(resources, dataclasses.replace(existing, members=tuple(current)))


def replace_resource(resources: tuple[Resource, ...], new: Resource) -> tuple[Resource, ...]:
    """The tree with the resource of `new`'s id replaced by `new`, wherever it is."""
    out: list[Resource] = []
    for rsc in resources:
        if rsc.id == new.id:
            out.append(new)
        elif isinstance(rsc, Group):
            members = tuple(new if m.id == new.id and isinstance(new, Primitive) else m
                            for m in rsc.members)
            out.append(dataclasses.replace(rsc, members=members))
        elif isinstance(rsc, Clone):
            child = replace_resource((rsc.child,), new)[0]
            assert isinstance(child, Primitive | Group)
            out.append(dataclasses.replace(rsc, child=child))
        else:
            out.append(rsc)
    return tuple(out)


def _remove_resources(resources: tuple[Resource, ...], ids: set[str], keep: str | None = None
                      ) -> tuple[tuple[Resource, ...], list[str]]:
    """The tree without `ids`; groups and clones left empty go too (but the group `keep`, which
    is about to get new members). Returns every id removed (members of removed groups and
    clones included), parents after their children."""
    removed: list[str] = []
    out: list[Resource] = []
    for rsc in resources:
        if rsc.id in ids:
            removed.extend(_subtree_ids(rsc))
            continue
        if isinstance(rsc, Group):
            members = tuple(m for m in rsc.members if m.id not in ids)
            removed.extend(m.id for m in rsc.members if m.id in ids)
            if not members and rsc.id != keep:
                removed.append(rsc.id)
                continue
            out.append(dataclasses.replace(rsc, members=members))
        elif isinstance(rsc, Clone):
            kept, gone = _remove_resources((rsc.child,), ids, keep)
            removed.extend(gone)
            if not kept:
                removed.append(rsc.id)
                continue
            child = kept[0]
            assert isinstance(child, Primitive | Group)
            out.append(dataclasses.replace(rsc, child=child))
        else:
            out.append(rsc)
    return tuple(out), removed


def _subtree_ids(rsc: Resource) -> list[str]:
    if isinstance(rsc, Group):
        return [m.id for m in rsc.members] + [rsc.id]
    if isinstance(rsc, Clone):
        return _subtree_ids(rsc.child) + [rsc.id]
    return [rsc.id]


def drop_from_constraints(cib: Cib, gone: set[str], out: list[Report],
                          kind: type | None = None) -> Cib:
    """Constraints (of `kind`, or all) without the resources in `gone`: a constraint naming
    one directly goes, a resource set loses them (and goes when empty, the constraint when it
    has no set left)."""
    kept: list[Constraint] = []
    for c in cib.configuration.constraints:
        named = edit.constraint_resources(c)
        if not named & gone or (kind is not None and not isinstance(c, kind)):
            kept.append(c)
            continue
        if isinstance(c, UnknownConstraint) or not c.sets or _direct(c) & gone:
            out.append(reports.info("CONSTRAINT_REMOVED", id=c.id))
            continue
        sets = tuple(dataclasses.replace(rs, resources=tuple(r for r in rs.resources
                                                             if r not in gone))
                     for rs in c.sets)
        sets = tuple(rs for rs in sets if rs.resources)
        if not sets:
            out.append(reports.info("CONSTRAINT_REMOVED", id=c.id))
            continue
        kept.append(dataclasses.replace(c, sets=sets))
        out.append(reports.info("CONSTRAINT_CHANGED", id=c.id))
    return edit.with_config(cib, constraints=tuple(kept))


def _direct(c: Constraint) -> set[str]:
    return edit.constraint_resources(dataclasses.replace(c, sets=())) if not isinstance(
        c, UnknownConstraint) else set()


def group_add(env: CibEnvironment, group_id: str, resource_ids: Sequence[str], *,
              before: str | None = None, after: str | None = None) -> Applied:
    """Put primitives into a group (created if needed), in the order given."""
    if before and after:
        raise ReportError([reports.error("BEFORE_AND_AFTER")])
    if len(set(resource_ids)) != len(resource_ids):
        raise ReportError([reports.error("RESOURCE_LISTED_TWICE",
                                         resources=" ".join(resource_ids))])

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        members: list[Primitive] = []
        target = edit.find_resource(cib, group_id)
        for rsc_id in resource_ids:
            rsc = edit.require_resource(cib, rsc_id)
            if not isinstance(rsc, Primitive):
                raise ReportError([reports.error("CANNOT_GROUP_NON_PRIMITIVE", resource=rsc_id)])
            if edit.enclosing_clone(cib, rsc_id) is not None:
                raise ReportError([reports.error("CANNOT_GROUP_CLONED", resource=rsc_id)])
            if rsc_id == (before or after):
                raise ReportError([reports.error("POSITION_SELF", resource=rsc_id)])
            parent = edit.parent_of(cib, rsc_id)
            if (isinstance(target, Group) and parent is not None and parent.id == group_id
                    and not (before or after)):
                raise ReportError([reports.error("RESOURCE_ALREADY_IN_GROUP", resource=rsc_id,
                                                 group=group_id)])
            members.append(rsc)
        ids = {m.id for m in members}
        resources, removed = _remove_resources(cib.configuration.resources, ids, keep=group_id)
        emptied = [r for r in removed if r not in ids]
        for gone in emptied:
            out.append(reports.info("GROUP_REMOVED", group=gone))
        moved = drop_from_constraints(with_resources(cib, resources), set(emptied), out)
        return with_resources(moved, _into_group(moved, group_id, tuple(members), before,
                                                  after, out)), out

    return edit.apply(env, change)


def group_remove(env: CibEnvironment, group_id: str, resource_ids: Sequence[str]) -> Applied:
    """Take members out of a group (all of them with none given: ungroup); they stay
    configured, right after the group. An emptied group is removed with its constraints."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        group = edit.require_resource(cib, group_id)
        if not isinstance(group, Group):
            raise ReportError([reports.error("NOT_A_GROUP", id=group_id)])
        if edit.parent_of(cib, group_id) is not None:
            raise ReportError([reports.error("GROUP_IS_CLONED", group=group_id)])
        ids = list(resource_ids) or [m.id for m in group.members]
        member_ids = [m.id for m in group.members]
        for rsc_id in ids:
            if rsc_id not in member_ids:
                raise ReportError([reports.error("RESOURCE_NOT_IN_GROUP", resource=rsc_id,
                                                 group=group_id)])
        taken_out = [m for m in group.members if m.id in ids]
        kept = tuple(m for m in group.members if m.id not in ids)
        resources: list[Resource] = []
        for rsc in cib.configuration.resources:
            if rsc.id != group_id:
                resources.append(rsc)
                continue
            if kept:
                resources.append(dataclasses.replace(group, members=kept))
            resources.extend(taken_out)
        new = with_resources(cib, tuple(resources))
        if not kept:
            out.append(reports.info("GROUP_REMOVED", group=group_id))
            new = drop_from_constraints(new, {group_id}, out)
        return new, out

    return edit.apply(env, change)


# -- delete, update, meta ----------------------------------------------------------------------
def delete(env: CibEnvironment, resource_id: str) -> Applied:
    """Remove a resource (a group or clone with everything in it) and the constraints that
    name it. Its history stays in the status: the cluster stops it as an orphan."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        edit.require_resource(cib, resource_id)
        out: list[Report] = []
        resources, removed = _remove_resources(cib.configuration.resources, {resource_id})
        for rsc_id in removed:
            out.append(reports.info("RESOURCE_REMOVED", resource=rsc_id))
        new = drop_from_constraints(with_resources(cib, resources), set(removed), out)
        # a deleted fence device leaves the fencing levels too (a level naming a device that
        # does not exist can never succeed)
        config, changed, dropped = fencing_topology.without_devices(new.configuration,
                                                                    set(removed))
        out += [reports.info("FENCING_LEVEL_DEVICES_CHANGED", level=lv.index,
                             node=lv.target_text, devices=",".join(lv.devices)) for lv in changed]
        out += [reports.info("FENCING_LEVEL_REMOVED", level=lv.index, node=lv.target_text,
                             devices=",".join(lv.devices)) for lv in dropped]
        return dataclasses.replace(new, configuration=config), out

    return edit.apply(env, change)


def update(env: CibEnvironment, resource_id: str, spec: ResourceSpec, *, force: bool = False,
           catalog: AgentCatalog | None = None) -> Applied:
    """Change a resource's instance attributes (an empty value removes one), operations (the
    first one of the same action is replaced, else one is added) and meta attributes. For a
    clone, plain name=value pairs are meta attributes; a group has only meta attributes."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        rsc = edit.require_resource(cib, resource_id)
        taken = edit.used_ids(cib)
        out: list[Report] = []
        if not isinstance(rsc, Primitive):
            if spec.operations:
                raise ReportError([reports.error("OPERATIONS_NEED_PRIMITIVE",
                                                 resource=resource_id)])
            if spec.instance and isinstance(rsc, Group):
                raise ReportError([reports.error("GROUP_HAS_NO_INSTANCE_ATTRIBUTES",
                                                 group=resource_id)])
            pairs = spec.instance + spec.meta
            out += clone_lib.meta_problems(pairs, force)
            new_rsc: Resource = dataclasses.replace(rsc, meta_attributes=edit.set_pairs(
                rsc.meta_attributes, pairs, taken=taken, set_id=f"{resource_id}-meta_attributes"))
            if isinstance(new_rsc, Clone):
                out += clone_lib.clone_problems(cib, new_rsc, force=force, catalog=catalog)
            return with_resources(cib, replace_resource(cib.configuration.resources,
                                                          new_rsc)), out
        meta = agent_lib.metadata_of(catalog, rsc)
        out += agent_lib.check_parameters(meta, dict(spec.instance), force=force,
                                          creating=False)
        out += _meta_problems(spec.meta, force)
        ops = list(rsc.operations)
        for op_spec in spec.operations:
            index = next((i for i, op in enumerate(ops) if op.name == op_spec.action), None)
            if index is not None:
                taken.discard(ops[index].id)
            op = _operation(resource_id, op_spec, meta, taken, out, force=force)
            if index is None:
                ops.append(op)
            else:
                ops[index] = op
        new_prim = dataclasses.replace(
            rsc,
            instance_attributes=edit.set_pairs(rsc.instance_attributes, spec.instance,
                                               taken=taken,
                                               set_id=f"{resource_id}-instance_attributes"),
            meta_attributes=edit.set_pairs(rsc.meta_attributes, spec.meta, taken=taken,
                                           set_id=f"{resource_id}-meta_attributes"),
            operations=tuple(ops))
        return with_resources(cib, replace_resource(cib.configuration.resources,
                                                      new_prim)), out

    return edit.apply(env, change)


def op_add(env: CibEnvironment, resource_id: str, spec: OpSpec, *, force: bool = False,
           catalog: AgentCatalog | None = None) -> Applied:
    """pcs's `resource op add RSC ACTION k=v...`: one more operation; the same action with
    the same interval (and role) is refused unless forced."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        rsc = edit.require_resource(cib, resource_id)
        if not isinstance(rsc, Primitive):
            raise ReportError([reports.error("OPERATIONS_NEED_PRIMITIVE", resource=resource_id)])
        meta = agent_lib.metadata_of(catalog, rsc)
        out: list[Report] = []
        op = _operation(resource_id, spec, meta, edit.used_ids(cib), out, force=force)
        same = next((o for o in rsc.operations if o.name == op.name
                     and o.interval_ms == op.interval_ms and o.role == op.role), None)
        if same is not None:
            out.append(reports.unless_forced(force, "OPERATION_EXISTS", resource=resource_id,
                                             action=op.name, interval=op.interval, id=same.id))
        new_prim = dataclasses.replace(rsc, operations=(*rsc.operations, op))
        return with_resources(cib, replace_resource(cib.configuration.resources,
                                                      new_prim)), out

    return edit.apply(env, change)


def op_delete(env: CibEnvironment, words: Sequence[str]) -> Applied:
    """pcs's `resource op delete OP_ID`, or `resource op delete RSC ACTION [k=v...]`: the
    operations of that action whose options include the ones given."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        if len(words) == 1:
            owner = next((p for p in edit.primitives(cib)
                          if any(o.id == words[0] for o in p.operations)), None)
            if owner is None:
                raise ReportError([reports.error("OPERATION_NOT_FOUND", resource="",
                                                 what=f"id {words[0]}")])
            gone = {words[0]}
            rsc: Primitive = owner
        else:
            found = edit.require_resource(cib, words[0])
            if not isinstance(found, Primitive):
                raise ReportError([reports.error("OPERATIONS_NEED_PRIMITIVE",
                                                 resource=words[0])])
            rsc = found
            action, wanted = words[1], dict(_op_pairs(words[2:]))
            gone = {o.id for o in rsc.operations if o.name == action
                    and all(_op_matches(o, k, v) for k, v in wanted.items())}
            if not gone:
                what = " ".join(words[1:])
                raise ReportError([reports.error("OPERATION_NOT_FOUND", resource=rsc.id,
                                                 what=what)])
        new_prim = dataclasses.replace(rsc, operations=tuple(
            o for o in rsc.operations if o.id not in gone))
        return with_resources(cib, replace_resource(cib.configuration.resources, new_prim)), [
            reports.info("OPERATION_REMOVED", resource=rsc.id, id=i) for i in sorted(gone)]

    return edit.apply(env, change)


def _op_pairs(words: Sequence[str]) -> Pairs:
    out = []
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option=word, value=word,
                                             expected="NAME=VALUE")])
        out.append((name, value))
    return tuple(out)


def _op_matches(op: Operation, name: str, value: str) -> bool:
    """Whether an operation has this option (an interval by its length: 10s is 10000ms)."""
    if name == "interval":
        return parse_interval_ms(value) == op.interval_ms
    found = {"timeout": op.timeout, "role": op.role, "on-fail": op.on_fail, "id": op.id}.get(
        name, dict(op.extra.attrs).get(name))
    return found == value


def set_meta(env: CibEnvironment, resource_id: str, pairs: Pairs, *,
             force: bool = False, catalog: AgentCatalog | None = None) -> Applied:
    """Set (or with an empty value remove) meta attributes of any resource."""
    return update(env, resource_id, ResourceSpec(meta=pairs), force=force, catalog=catalog)


# -- enable, disable ---------------------------------------------------------------------------
def _targets_to_enable(cib: Cib, rsc: Resource) -> list[Resource]:
    """pcs's choice: the resource, a clone's child, and the clone the resource is in."""
    found = [rsc]
    if isinstance(rsc, Clone):
        found.append(rsc.child)
    clone = edit.enclosing_clone(cib, rsc.id)
    if clone is not None:
        found.append(clone)
    return found


def enable(env: CibEnvironment, resource_ids: Sequence[str]) -> Applied:
    """Let resources run: remove target-role (from the resource, and its clone)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        new = cib
        for rsc_id in resource_ids:
            rsc = edit.require_resource(cib, rsc_id)
            for target in _targets_to_enable(new, rsc):
                current = edit.find_resource(new, target.id)
                assert current is not None
                new = _set_resource_meta(new, current, (("target-role", ""),))
        return new, []

    return edit.apply(env, change)


def disabled(cib: Cib, resource_ids: Sequence[str]) -> Cib:
    """The CIB with the resources at target-role=Stopped."""
    new = cib
    for rsc_id in resource_ids:
        rsc = edit.require_resource(new, rsc_id)
        new = _set_resource_meta(new, rsc, (("target-role", "Stopped"),))
    return new


def disable(env: CibEnvironment, resource_ids: Sequence[str]) -> Applied:
    """Stop resources and keep them stopped: target-role=Stopped."""
    return edit.apply(env, lambda cib: (disabled(cib, resource_ids), []))


def manage(env: CibEnvironment, resource_ids: Sequence[str], *, managed: bool) -> Applied:
    """pcs's `resource manage|unmanage`: the cluster leaves unmanaged resources as they are
    (is-managed=false); managing one again removes that (from the resource and what it is
    in, as enable does), in one change for every resource named."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        new = cib
        for rsc_id in resource_ids:
            rsc = edit.require_resource(new, rsc_id)
            targets = _targets_to_enable(new, rsc) if managed else [rsc]
            for target in targets:
                current = edit.find_resource(new, target.id)
                assert current is not None
                new = _set_resource_meta(new, current,
                                         (("is-managed", "" if managed else "false"),))
        return new, []

    return edit.apply(env, change)


def _set_resource_meta(cib: Cib, rsc: Resource, pairs: Pairs) -> Cib:
    taken = edit.used_ids(cib)
    new_rsc = dataclasses.replace(rsc, meta_attributes=edit.set_pairs(
        rsc.meta_attributes, pairs, taken=taken, set_id=f"{rsc.id}-meta_attributes"))
    return with_resources(cib, replace_resource(cib.configuration.resources, new_rsc))


# -- defaults ----------------------------------------------------------------------------------
def set_defaults(env: CibEnvironment, kind: str, pairs: Pairs, *, force: bool = False
                 ) -> Applied:
    """Set (or with an empty value remove) resource defaults (`kind` "rsc") or operation
    defaults ("op"). Values of options Pacemaker interprets are checked."""
    known = options.by_name(options.RESOURCE_META if kind == "rsc" else
                            options.OPERATION_OPTIONS)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        for name, value in pairs:
            spec = known.get(name)
            if spec is not None and value != "":
                wanted = options.value_problem(spec, value)
                if wanted:
                    out.append(reports.unless_forced(force, "INVALID_OPTION_VALUE",
                                                      option=name, value=value,
                                                      expected=wanted))
        taken = edit.used_ids(cib)
        config = cib.configuration
        if kind == "rsc":
            return edit.with_config(cib, rsc_defaults=edit.set_pairs(
                config.rsc_defaults, pairs, taken=taken,
                set_id="rsc_defaults-meta_attributes")), out
        return edit.with_config(cib, op_defaults=edit.set_pairs(
            config.op_defaults, pairs, taken=taken, set_id="op_defaults-meta_attributes")), out

    return edit.apply(env, change)


@dataclass(frozen=True)
class OperationSettings:
    name: str
    interval: str
    options: Pairs  # timeout, role, on-fail ... as written


@dataclass(frozen=True)
class ResourceSettings:
    """What a resource is configured with, as an edit form shows it: its agent, its
    parameters and meta attributes (those outside rules: what `update` changes) and its
    operations. A group or clone has no agent and no parameters."""

    id: str
    kind: str  # primitive, group, clone
    agent: str | None
    params: Pairs
    meta: Pairs
    operations: tuple[OperationSettings, ...]
    members: tuple[str, ...]  # a group's members, a clone's child


def _plain_pairs(sets: Sequence[NvSet]) -> Pairs:
    return tuple((p.name, p.value) for s in sets if s.rule is None for p in s.pairs
                 if p.value is not None)


def settings(env: CibEnvironment, resource_id: str) -> ResourceSettings:
    rsc = edit.require_resource(env.get_cib(), resource_id)
    if isinstance(rsc, Primitive):
        ops = tuple(OperationSettings(op.name, op.interval, tuple(
            (k, v) for k, v in (("timeout", op.timeout), ("role", op.role),
                                ("on-fail", op.on_fail)) if v is not None))
            for op in rsc.operations)
        return ResourceSettings(rsc.id, "primitive", rsc.agent,
                                _plain_pairs(rsc.instance_attributes),
                                _plain_pairs(rsc.meta_attributes), ops, ())
    if isinstance(rsc, Bundle):
        inner = (rsc.primitive.id,) if rsc.primitive is not None else ()
        return ResourceSettings(rsc.id, "bundle", None, (), _plain_pairs(rsc.meta_attributes),
                                (), inner)
    members = (tuple(m.id for m in rsc.members) if isinstance(rsc, Group)
               else (rsc.child.id,))
    return ResourceSettings(rsc.id, "group" if isinstance(rsc, Group) else "clone", None, (),
                            _plain_pairs(rsc.meta_attributes), (), members)

"""ACLs: the <acls> section read and written whole, and the decisions of vigil.cib.acl_check
(what a user may read, whether a new configuration may replace the old, what other requests
need), on small CIBs, with no daemon."""

from __future__ import annotations

import dataclasses

import pytest

from vigil.cib import acl_check
from vigil.cib.acl_check import Access, AclView, Principal
from vigil.cib.io import check_for_save
from vigil.cib.read import parse_cib
from vigil.cib.validate import validate
from vigil.cib.write import write_cib
from vigil.model.cib import Cib
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Primitive

ACLS = """<acls>
  <acl_role id="ro" description="look only"><acl_permission id="ro-r" kind="read" xpath="/cib"/></acl_role>
  <acl_role id="webop">
    <acl_permission id="w-r" kind="read" xpath="/cib"/>
    <acl_permission id="w-w" kind="write" reference="web"/>
  </acl_role>
  <acl_role id="nosecret"><acl_permission id="ns-d" kind="deny" reference="db"/></acl_role>
  <acl_role id="typed">
    <acl_permission id="t-w" kind="write" object-type="primitive" attribute="provider"/>
  </acl_role>
  <acl_target id="alice"><role id="ro"/></acl_target>
  <acl_target id="t-carol" name="carol"><role id="ro"/><role id="nosecret"/></acl_target>
  <acl_group id="ops"><role id="webop"/></acl_group>
  <acl_group id="dev"><role id="typed"/></acl_group>
</acls>"""


def cib_with(acls: str = ACLS, enabled: bool = True) -> Cib:
    xml = f"""<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
<configuration><crm_config><cluster_property_set id="o">
<nvpair id="o-acl" name="enable-acl" value="{'true' if enabled else 'false'}"/>
</cluster_property_set></crm_config><nodes><node id="1" uname="n1"/></nodes>
<resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints/>{acls}</configuration><status/></cib>"""
    return parse_cib(xml)[0]


def with_resources(cib: Cib, *rscs: Primitive) -> Cib:
    return dataclasses.replace(cib, configuration=dataclasses.replace(
        cib.configuration, resources=rscs))


def web_disabled(cib: Cib) -> Primitive:
    web = cib.configuration.resources[0]
    assert isinstance(web, Primitive)
    meta = NvSet("web-meta", (NvPair("web-meta-t", "target-role", "Stopped"),))
    return dataclasses.replace(web, meta_attributes=(meta,))


def test_the_section_reads_writes_and_validates_as_it_was() -> None:
    cib = cib_with()
    acls = cib.configuration.acls
    assert acls is not None and [r.id for r in acls.roles] == ["ro", "webop", "nosecret", "typed"]
    assert acls.targets[1].subject == "carol" and acls.groups[0].roles == ("webop",)
    assert acls.roles[3].permissions[0].object_type == "primitive"
    assert parse_cib(write_cib(cib))[0] == cib
    assert cib.configuration.extra.children == ()  # no longer kept as unknown XML
    check_for_save(cib)  # Pacemaker's RelaxNG schema and vigil's checks
    assert parse_cib(write_cib(cib_with("")))[0].configuration.acls is None


def test_a_role_id_used_twice_is_a_duplicate() -> None:
    cib = cib_with(ACLS.replace('id="w-w"', 'id="web"'))
    assert any(r.code == "CIB_DUPLICATE_ID" and r.field("id") == "web" for r in validate(cib))


def test_root_hacluster_and_disabled_acls_see_and_change_everything() -> None:
    for cib, user in ((cib_with(), "root"), (cib_with(), "hacluster"),
                      (cib_with(enabled=False), "nobody-at-all")):
        view = AclView(cib, Principal(user))
        assert not view.restricted
        assert view.readable_xml() == write_cib(cib)
        assert view.replace_denials(with_resources(cib)) == ()
        assert view.allows(acl_check.FULL_WRITE)


def test_a_user_with_no_acl_has_no_access() -> None:
    view = AclView(cib_with(), Principal("mallory"))
    assert view.restricted and not view.can_read_anything()
    assert "primitive" not in view.readable_xml()
    assert not view.allows(acl_check.STATUS_READ)


def test_a_read_only_role_reads_all_and_writes_nothing() -> None:
    cib = cib_with()
    view = AclView(cib, Principal("alice"))
    assert parse_cib(view.readable_xml())[0] == cib
    denied = view.replace_denials(with_resources(cib, web_disabled(cib), cib.configuration.resources[1]))
    assert [d.element for d in denied] == [
        "/cib/configuration/resources/primitive[@id='web']/meta_attributes[@id='web-meta']"
        "/nvpair[@id='web-meta-t']"]
    assert not view.allows(acl_check.resource_need("web"))
    assert view.allows(acl_check.STATUS_READ)


def test_write_on_one_resource_through_a_group() -> None:
    cib = cib_with()
    view = AclView(cib, Principal("bob", frozenset({"ops"})))
    db = cib.configuration.resources[1]
    assert view.replace_denials(with_resources(cib, web_disabled(cib), db)) == ()
    assert view.allows(acl_check.resource_need("web"))
    assert view.allows(acl_check.resource_need("web:1"))  # a clone instance is its resource
    assert not view.allows(acl_check.resource_need("db"))
    removed = view.replace_denials(with_resources(cib, cib.configuration.resources[0]))
    assert [d.element for d in removed] == ["/cib/configuration/resources/primitive[@id='db']"]
    assert not view.allows(acl_check.FULL_WRITE)


def test_deny_hides_an_element_from_a_reader() -> None:
    view = AclView(cib_with(), Principal("carol"))
    seen = parse_cib(view.readable_xml())[0]
    assert [r.id for r in seen.configuration.resources] == ["web"]


def test_deny_beats_write_on_the_same_element() -> None:
    acls = ACLS.replace('<acl_target id="alice"><role id="ro"/></acl_target>',
                        '<acl_target id="alice"><role id="webop"/><role id="nosecret"/>'
                        '</acl_target>').replace('reference="db"/>', 'reference="web"/>')
    view = AclView(cib_with(acls), Principal("alice"))
    assert not view.allows(acl_check.resource_need("web"))
    assert 'id="web"' not in view.readable_xml()


def test_the_more_specific_element_wins_over_its_parent() -> None:
    acls = """<acls><acl_role id="r"><acl_permission id="r1" kind="deny" xpath="/cib"/>
      <acl_permission id="r2" kind="write" reference="web"/></acl_role>
      <acl_target id="alice"><role id="r"/></acl_target></acls>"""
    view = AclView(cib_with(acls), Principal("alice"))
    assert view.allows(acl_check.resource_need("web"))
    xml = view.readable_xml()
    # the parents stay, stripped to their ids, so that the readable element keeps its place
    assert 'id="web" class="ocf"' in xml and "db" not in xml and "enable-acl" not in xml
    assert 'epoch="1"' in xml  # the version is always there


def test_object_type_with_an_attribute() -> None:
    cib = cib_with()
    view = AclView(cib, Principal("dave", frozenset({"dev"})))
    assert view.allows(acl_check.resource_need("db"))
    assert view.replace_denials(with_resources(cib, cib.configuration.resources[0])) == ()
    assert not view.allows(acl_check.STATUS_READ)


@pytest.mark.parametrize("xpath", ["//primitive[@id='web']/@class", "//primitive[@id='web']"])
def test_an_xpath_to_an_attribute_applies_to_its_element(xpath: str) -> None:
    acls = f"""<acls><acl_role id="r"><acl_permission id="r1" kind="write" xpath="{xpath}"/>
      </acl_role><acl_target id="alice"><role id="r"/></acl_target></acls>"""
    assert AclView(cib_with(acls), Principal("alice")).allows(acl_check.resource_need("web"))


def test_a_broken_xpath_grants_nothing() -> None:
    acls = """<acls><acl_role id="r"><acl_permission id="r1" kind="read" xpath="/cib[["/>
      </acl_role><acl_target id="alice"><role id="r"/></acl_target></acls>"""
    assert not AclView(cib_with(acls), Principal("alice")).can_read_anything()


def test_a_user_cannot_grant_itself_more() -> None:
    cib = cib_with()
    acls = cib.configuration.acls
    assert acls is not None
    more = dataclasses.replace(acls, targets=tuple(
        dataclasses.replace(t, roles=("webop",)) if t.id == "alice" else t
        for t in acls.targets))
    new = dataclasses.replace(cib, configuration=dataclasses.replace(cib.configuration,
                                                                     acls=more))
    denied = AclView(cib, Principal("alice")).replace_denials(new)
    assert denied and "acl_target[@id='alice']" in denied[0].element


def test_node_attribute_and_ticket_needs() -> None:
    acls = """<acls><acl_role id="r"><acl_permission id="r0" kind="read" xpath="/cib"/>
      <acl_permission id="r1" kind="write" xpath="/cib/status"/></acl_role>
      <acl_target id="alice"><role id="r"/></acl_target></acls>"""
    view = AclView(cib_with(acls), Principal("alice"))
    assert view.allows(acl_check.attribute_need(Access.WRITE, "status", "1"))
    assert view.allows(acl_check.ticket_need("T"))
    assert not view.allows(acl_check.attribute_need(Access.WRITE, "nodes", "1"))
    assert not view.allows(acl_check.attribute_need(Access.WRITE, "crm_config", None))
    assert view.allows(acl_check.attribute_need(Access.READ, "crm_config", None))


def test_a_tag_or_a_group_around_a_writable_resource_is_a_change_of_its_own() -> None:
    # write on "web" covers web's element (and an obj_ref naming it), not a new tag or group
    # made around it: those are configuration objects the user's permissions do not cover
    from vigil.model.resources import Group
    from vigil.model.tags import Tag

    cib = cib_with()
    view = AclView(cib, Principal("bob", frozenset({"ops"})))
    web, db = cib.configuration.resources
    tagged = dataclasses.replace(cib, configuration=dataclasses.replace(
        cib.configuration, tags=(Tag("mine", ("web",)),)))
    assert [d.element for d in view.replace_denials(tagged)] == [
        "/cib/configuration/tags/tag[@id='mine']"]
    assert isinstance(web, Primitive)
    grouped = with_resources(cib, Group("g", (web,)), db)
    assert [d.element for d in view.replace_denials(grouped)] == [
        "/cib/configuration/resources/group[@id='g']"]

"""The CIB codec: read, write, validate, load and save; assertions are on report codes, not text."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vigil.cib import io, read, validate, write
from vigil.model import reports, templates
from vigil.model.constraints import Colocation
from vigil.model.reports import Report, ReportError, Severity
from vigil.model.resources import Primitive
from vigil.words import messages

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "conformance" / "pacemaker-2.1.5" / "xml"


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*.xml"))
    if not files:
        pytest.skip(f"no conformance corpus at {CORPUS}")
    return files


def cib_xml(resources: str = "", constraints: str = "", status: str = "", extra: str = "") -> str:
    return f"""<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>
      <primitive id="p1" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="p1-ia"><nvpair id="p1-ia-x" name="x" value="1"/></instance_attributes>
      </primitive>
      <group id="g1">
        <primitive id="g1-a" class="ocf" provider="heartbeat" type="Dummy"/>
      </group>
      <clone id="c1">
        <primitive id="cp" class="ocf" provider="heartbeat" type="Dummy"/>
      </clone>
      {resources}
    </resources>
    <constraints>{constraints}</constraints>
    {extra}
  </configuration>
  <status>{status}</status>
</cib>"""


def codes(found: tuple[Report, ...], severity: Severity = Severity.ERROR) -> list[str]:
    return [r.code for r in found if r.severity is severity]


def parse_errors(text: str) -> list[str]:
    with pytest.raises(ReportError) as exc:
        read.parse_cib(text)
    return [r.code for r in exc.value.reports]


def load_errors(tmp_path: Path, text: str) -> tuple[Report, ...]:
    path = tmp_path / "cib.xml"
    path.write_text(text)
    with pytest.raises(ReportError) as exc:
        io.load_cib_file(path)
    return exc.value.reports


# -- the corpus ---------------------------------------------------------------------------------
def test_corpus_round_trip_keeps_the_model() -> None:
    failed: list[str] = []
    for path in corpus_files():
        cib, _ = read.parse_cib(path.read_text())
        text = write.write_cib(cib)
        again, _ = read.parse_cib(text)
        if again != cib:
            failed.append(f"{path.name}: model differs after write")
        elif write.write_cib(again) != text:
            failed.append(f"{path.name}: second write differs")
    assert failed == []


def test_every_corpus_file_loads_without_errors() -> None:
    failed: list[str] = []
    for path in corpus_files():
        try:
            _, warnings = io.load_cib_file(path)
        except ReportError as exc:
            failed.append(f"{path.name}: {[r.code for r in exc.reports]}")
            continue
        assert all(w.severity is not Severity.ERROR for w in warnings)
    assert failed == []


# -- malformed input ----------------------------------------------------------------------------
def test_not_xml() -> None:
    assert parse_errors("<cib><configuration>") == ["CIB_NOT_XML"]


def test_not_xml_from_a_file(tmp_path: Path) -> None:
    assert [r.code for r in load_errors(tmp_path, "not xml at all")] == ["CIB_NOT_XML"]


def test_wrong_root() -> None:
    assert parse_errors("<configuration/>") == ["CIB_WRONG_ROOT"]


def test_missing_configuration_section() -> None:
    assert parse_errors('<cib epoch="1"><status/></cib>') == ["CIB_MISSING_SECTION"]


def test_primitive_without_class() -> None:
    text = cib_xml(resources='<primitive id="p9" provider="heartbeat" type="Dummy"/>')
    assert parse_errors(text) == ["CIB_MISSING_ATTRIBUTE"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as exc:
        io.load_cib_file(tmp_path / "absent.xml")
    assert [r.code for r in exc.value.reports] == ["CIB_FILE_NOT_FOUND"]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as exc:
        io.load_cib_file(tmp_path)  # a directory
    assert [r.code for r in exc.value.reports] == ["CIB_FILE_UNREADABLE"]


@pytest.mark.parametrize("constraint", [
    '<rsc_location id="l1" rsc="nope" node="node1" score="10"/>',
    '<rsc_colocation id="l1" rsc="p1" with-rsc="nope" score="INFINITY"/>',
    '<rsc_order id="l1" first="nope" then="p1"/>',
    # with sets, not first and then too: Pacemaker's schema takes one or the other
    '<rsc_order id="l1"><resource_set id="s1">'
    '<resource_ref id="p1"/><resource_ref id="nope"/></resource_set></rsc_order>',
    '<rsc_ticket id="l1" rsc="nope" ticket="t1"/>',
])
def test_constraint_naming_an_unknown_resource(tmp_path: Path, constraint: str) -> None:
    cib, _ = read.parse_cib(cib_xml(constraints=constraint))
    found = validate.validate(cib)
    assert codes(found) == ["CIB_UNKNOWN_RESOURCE"]
    assert (found[0].field("constraint"), found[0].field("resource")) == ("l1", "nope")
    assert [r.code for r in load_errors(tmp_path, cib_xml(constraints=constraint))] == [
        "CIB_UNKNOWN_RESOURCE"]


def test_a_clone_instance_is_not_a_resource_id() -> None:
    cib, _ = read.parse_cib(cib_xml(constraints='<rsc_location id="l1" rsc="cp:0" node="node1" '
                                                'score="10"/>'))
    assert codes(validate.validate(cib)) == ["CIB_UNKNOWN_RESOURCE"]


@pytest.mark.parametrize("rsc", ["p1", "g1", "g1-a", "c1", "cp", "b1", "t1", "tag1"])
def test_constraints_may_name_any_resource_template_bundle_or_tag(rsc: str) -> None:
    text = cib_xml(
        resources='<template id="t1" class="ocf" provider="heartbeat" type="Dummy"/>'
                  '<bundle id="b1"><docker image="x"/></bundle>',
        constraints=f'<rsc_location id="l1" rsc="{rsc}" node="node1" score="10"/>',
        extra='<tags><tag id="tag1"><obj_ref id="p1"/></tag></tags>')
    cib, _ = read.parse_cib(text)
    assert validate.validate(cib) == ()


def test_a_location_on_an_unknown_node_is_only_a_warning(tmp_path: Path) -> None:
    text = cib_xml(constraints='<rsc_location id="l1" rsc="p1" node="ghost" score="10"/>')
    path = tmp_path / "cib.xml"
    path.write_text(text)
    _, warnings = io.load_cib_file(path)
    assert codes(warnings, Severity.WARNING) == ["CIB_UNKNOWN_NODE"]


@pytest.mark.parametrize(("element", "constraint"), [
    ("rsc_location", '<rsc_location id="x" rsc="p1" node="node1" score="infinity"/>'),
    ("rsc_colocation", '<rsc_colocation id="x" rsc="p1" with-rsc="g1" score="10.5"/>'),
    ("rsc_order", '<rsc_order id="x" first="p1" then="g1" score="high"/>'),
    ("rule", '<rsc_location id="l" rsc="p1"><rule id="x" score="1e3">'
             '<expression id="e" attribute="#uname" operation="eq" value="node1"/></rule>'
             '</rsc_location>'),
    ("resource_set", '<rsc_colocation id="l" score="10"><resource_set id="x" score="--5">'
                     '<resource_ref id="p1"/></resource_set></rsc_colocation>'),
])
def test_bad_score(tmp_path: Path, element: str, constraint: str) -> None:
    text = cib_xml(constraints=constraint)
    found = validate.validate_xml_scores(ET.fromstring(text))
    assert [(r.code, r.field("element"), r.field("id")) for r in found] == [
        ("CIB_BAD_SCORE", element, "x")]
    assert [r.code for r in load_errors(tmp_path, text)] == ["CIB_BAD_SCORE"]


@pytest.mark.parametrize("score", ["INFINITY", "+INFINITY", "-INFINITY", "0", "-20", "+7"])
def test_good_scores(score: str) -> None:
    text = cib_xml(constraints=f'<rsc_location id="x" rsc="p1" node="node1" score="{score}"/>')
    assert validate.validate_xml_scores(ET.fromstring(text)) == ()


def test_duplicate_ids(tmp_path: Path) -> None:
    text = cib_xml(resources='<primitive id="p1-ia-x" class="ocf" provider="heartbeat" '
                             'type="Dummy"/>')
    cib, _ = read.parse_cib(text)
    found = validate.validate(cib)
    assert [(r.code, r.field("id")) for r in found] == [("CIB_DUPLICATE_ID", "p1-ia-x")]
    assert [r.code for r in load_errors(tmp_path, text)] == ["CIB_DUPLICATE_ID"]


def test_duplicate_ids_in_kept_xml() -> None:
    cib, _ = read.parse_cib(cib_xml(extra='<fencing-topology><fencing-level id="p1" index="1" '
                                          'target="node1" devices="f"/></fencing-topology>'))
    assert codes(validate.validate(cib)) == ["CIB_DUPLICATE_ID"]


def test_duplicate_node_ids() -> None:
    text = cib_xml().replace('<node id="2" uname="node2"/>', '<node id="1" uname="node2"/>')
    cib, _ = read.parse_cib(text)
    assert codes(validate.validate(cib)) == ["CIB_DUPLICATE_ID"]


def test_ids_may_repeat_in_id_refs_references_and_the_status() -> None:
    text = cib_xml(
        resources='<primitive id="p2" class="ocf" provider="heartbeat" type="Dummy">'
                  '<instance_attributes id-ref="p1-ia"/></primitive>',
        constraints='<rsc_order id="o1"><resource_set id="s1"><resource_ref id="p1"/>'
                    '<resource_ref id="p2"/></resource_set></rsc_order>',
        extra='<tags><tag id="tag1"><obj_ref id="p1"/></tag></tags>',
        status='<node_state id="1" uname="node1"><lrm id="1"><lrm_resources>'
               '<lrm_resource id="p1" class="ocf" provider="heartbeat" type="Dummy">'
               '<lrm_rsc_op id="p1" operation="start" call-id="1" rc-code="0" op-status="0" '
               'interval="0"/></lrm_resource></lrm_resources></lrm></node_state>')
    cib, _ = read.parse_cib(text)
    assert validate.validate(cib) == ()


# -- writing --------------------------------------------------------------------------------------
def test_unknown_elements_are_kept_on_write_with_a_warning_carrying_their_path() -> None:
    text = cib_xml(
        resources='<primitive id="p3" class="ocf" provider="heartbeat" type="Dummy">'
                  '<futurething id="ft" level="3"><sub/></futurething></primitive>',
        extra='<newsection id="ns"><item id="i1"/></newsection>')
    cib, warnings = read.parse_cib(text)
    unknown = {(r.field("element"), r.field("path")) for r in warnings
               if r.code == "CIB_UNKNOWN_ELEMENT"}
    assert unknown == {
        ("futurething", "/cib/configuration/resources/primitive[@id='p3']"),
        ("newsection", "/cib/configuration/newsection"),
    }
    root = ET.fromstring(write.write_cib(cib))
    kept = root.find("configuration/resources/primitive[@id='p3']/futurething")
    assert kept is not None and kept.get("level") == "3" and kept.find("sub") is not None
    assert root.find("configuration/newsection/item[@id='i1']") is not None
    assert read.parse_cib(write.write_cib(cib))[0] == cib


def test_kept_resources_are_written_inside_resources() -> None:
    text = cib_xml(resources='<bundle id="b1"><docker image="x"/></bundle>')
    cib, _ = read.parse_cib(text)
    root = ET.fromstring(write.write_cib(cib))
    assert root.find("configuration/resources/bundle[@id='b1']") is not None
    assert root.find("configuration/bundle") is None


TEMPLATED = cib_xml(
    resources='<template id="t1" class="ocf" provider="heartbeat" type="Dummy">'
              '<instance_attributes id="t1-ia"><nvpair id="t1-ia-x" name="x" value="t"/>'
              '</instance_attributes>'
              '<operations><op id="t1-mon" name="monitor" interval="10s"/></operations>'
              '</template>'
              '<primitive id="p2" template="t1">'
              '<meta_attributes id="p2-ma"><nvpair id="p2-ma-t" name="target-role" '
              'value="Stopped"/></meta_attributes></primitive>',
    constraints='<rsc_location id="l1" rsc="t1" node="node1" score="10"/>'
                '<rsc_order id="o1" first="tag1" then="p1"/>',
    extra='<tags><tag id="tag1"><obj_ref id="p1"/><obj_ref id="p2"/></tag></tags>')


def test_templates_and_tags_are_modelled_and_round_trip() -> None:
    cib, warnings = read.parse_cib(TEMPLATED)
    assert warnings == ()
    config = cib.configuration
    assert [(t.id, t.agent_type, [op.id for op in t.operations]) for t in config.templates] == [
        ("t1", "Dummy", ["t1-mon"])]
    p2 = next(r for r in config.resources if r.id == "p2")
    assert isinstance(p2, Primitive) and p2.template == "t1" and p2.standard == ""
    assert [(t.id, t.refs) for t in config.tags] == [("tag1", ("p1", "p2"))]
    assert config.extra.children == ()
    text = write.write_cib(cib)
    root = ET.fromstring(text)
    written = root.find("configuration/resources/primitive[@id='p2']")
    assert written is not None and written.get("template") == "t1"
    assert written.get("class") is None and written.get("type") is None
    assert root.find("configuration/resources/template[@id='t1']/operations/op") is not None
    assert [o.get("id") for o in root.iterfind("configuration/tags/tag/obj_ref")] == ["p1", "p2"]
    assert read.parse_cib(text)[0] == cib
    assert validate.validate(cib) == ()


@pytest.mark.parametrize(("written", "influence", "rewritten"), [
    ("true", True, "true"), ("no", False, "false"), ("maybe", None, "maybe"), ("", None, "")])
def test_a_colocations_influence_not_a_boolean_is_the_default_kept_as_written(
        written: str, influence: bool | None, rewritten: str) -> None:
    """Pacemaker uses the default (the dependent's critical) for an influence that is not a
    boolean: None in the model, the text kept in extra so that a write gives it back."""
    text = cib_xml(constraints=f'<rsc_colocation id="c" rsc="p1" with-rsc="g1" score="10" '
                               f'influence="{written}"/>')
    cib, _ = read.parse_cib(text)
    c = cib.configuration.constraints[0]
    assert isinstance(c, Colocation) and c.influence is influence
    assert f'influence="{rewritten}"' in write.write_cib(cib)
    assert read.parse_cib(write.write_cib(cib))[0] == cib


def test_a_template_applied_gives_the_primitive_its_agent_with_its_own_values_first() -> None:
    cib, _ = read.parse_cib(TEMPLATED)
    p2 = next(r for r in cib.configuration.resources if r.id == "p2")
    assert isinstance(p2, Primitive)
    derived = templates.derive(p2, cib.configuration.templates[0])
    assert derived.agent == "ocf:heartbeat:Dummy"
    assert [s.id for s in derived.meta_attributes] == ["p2-ma"]
    assert [s.id for s in derived.instance_attributes] == ["t1-ia"]
    assert [op.id for op in derived.operations] == ["t1-mon"]


def test_unknown_template_and_tag_references() -> None:
    text = cib_xml(resources='<primitive id="p2" template="nope"/>',
                   extra='<tags><tag id="tag1"><obj_ref id="ghost"/></tag></tags>')
    cib, _ = read.parse_cib(text)
    found = validate.validate(cib)
    assert codes(found) == ["CIB_UNKNOWN_TEMPLATE"]
    assert codes(found, Severity.WARNING) == ["CIB_UNKNOWN_TAG_REFERENCE"]


def test_a_template_is_not_parsed_as_a_resource_and_its_ids_count() -> None:
    text = cib_xml(resources='<template id="p1" class="ocf" provider="heartbeat" type="Dummy"/>')
    cib, _ = read.parse_cib(text)
    assert codes(validate.validate(cib)) == ["CIB_DUPLICATE_ID"]


def test_id_refs_are_written_back_as_id_refs() -> None:
    text = cib_xml(
        resources='<primitive id="p2" class="ocf" provider="heartbeat" type="Dummy">'
                  '<instance_attributes id-ref="p1-ia"/>'
                  '<meta_attributes id="p2-meta"><nvpair id-ref="p1-ia-x"/></meta_attributes>'
                  '</primitive>',
        constraints='<rsc_location id="l1" rsc="p1"><rule id="r1" score="5">'
                    '<expression id="e1" attribute="#uname" operation="eq" value="node1"/>'
                    '</rule></rsc_location>'
                    '<rsc_location id="l2" rsc="p2"><rule id-ref="r1"/></rsc_location>')
    cib, _ = read.parse_cib(text)
    root = ET.fromstring(write.write_cib(cib))
    p2 = root.find("configuration/resources/primitive[@id='p2']")
    assert p2 is not None
    assert [el.attrib for el in p2.iter("instance_attributes")] == [{"id-ref": "p1-ia"}]
    assert [el.attrib for el in p2.iter("nvpair")] == [{"id-ref": "p1-ia-x"}]
    l2 = root.find("configuration/constraints/rsc_location[@id='l2']")
    assert l2 is not None and [el.attrib for el in l2] == [{"id-ref": "r1"}]
    assert read.parse_cib(write.write_cib(cib))[0] == cib


# -- saving ---------------------------------------------------------------------------------------
def test_save_then_load(tmp_path: Path) -> None:
    cib, _ = read.parse_cib(cib_xml())
    path = tmp_path / "cib.xml"
    path.write_text("old")
    path.chmod(0o640)
    io.save_cib_file(path, cib)
    assert io.load_cib_file(path)[0] == cib
    assert os.listdir(tmp_path) == ["cib.xml"]  # no temporary file left behind
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_refuses_an_invalid_cib_and_changes_nothing(tmp_path: Path) -> None:
    cib, _ = read.parse_cib(cib_xml(constraints='<rsc_order id="o" first="nope" then="p1"/>'))
    path = tmp_path / "cib.xml"
    path.write_text("old")
    with pytest.raises(ReportError) as exc:
        io.save_cib_file(path, cib)
    assert [r.code for r in exc.value.reports] == ["CIB_UNKNOWN_RESOURCE"]
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["cib.xml"]


def test_save_into_a_path_that_cannot_exist(tmp_path: Path) -> None:
    cib, _ = read.parse_cib(cib_xml())
    (tmp_path / "file").write_text("")
    with pytest.raises(ReportError) as exc:
        io.save_cib_file(tmp_path / "file" / "cib.xml", cib)
    assert [r.code for r in exc.value.reports] == ["CIB_FILE_UNWRITABLE"]


# -- messages -------------------------------------------------------------------------------------
def _codes_in_source() -> set[str]:
    src = REPO / "src" / "vigil" / "cib"
    pattern = re.compile(r'reports\.(?:error|warning)\(\s*"([A-Z_]+)"')
    return {code for path in src.glob("*.py") for code in pattern.findall(path.read_text())}


def test_every_cib_report_code_has_a_message() -> None:
    found = _codes_in_source()
    assert "CIB_UNKNOWN_RESOURCE" in found and "CIB_NOT_XML" in found
    for code in sorted(found):
        report = reports.error(code, path="/cib", detail="x\ny")
        text = messages.render_report(report)
        assert not text.startswith(f"error: {code}"), f"{code} has no message"
        assert "\n" not in text


def test_message_of_an_unknown_code_names_code_and_fields() -> None:
    text = messages.render_report(reports.warning("SOMETHING_NEW", node="n1"))
    assert text.startswith("warning: SOMETHING_NEW") and "n1" in text

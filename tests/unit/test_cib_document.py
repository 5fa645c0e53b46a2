"""A CIB file is parsed once, by lxml (cib.document): the model read from that tree must be the
one the standard library's parser gives for the same text (read.parse_cib, which the agents'
tools use without lxml), and a document that is not XML is still one report."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.cib import document, io, read, schema
from vigil.model.reports import ReportError
from vigil.words import messages

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "conformance" / "pacemaker-2.1.5" / "xml"

# What the reader keeps as text or extra attributes, an id-ref, an internal entity, a comment
# and a processing instruction: where the two parsers' trees could differ.
ODD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE cib [<!ENTITY who "node1">]>
<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7" odd="&who;">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts"><nvpair id="opts-a" name="a" value="&who; &amp; &#233;"/>
      </cluster_property_set>
      <cluster_property_set id-ref="opts"/>
    </crm_config>
    <nodes><node id="1" uname="node1" extra-attr="x"><!-- a comment --><?pi data?></node></nodes>
    <resources>
      <primitive id="p1" class="ocf" provider="heartbeat" type="Dummy">
        <unknown-child xmlns:v="urn:vigil" v:flag="yes" a="1">text &who;<deeper/>tail</unknown-child>
      </primitive>
    </resources>
    <constraints><rsc_unknown id="u1" rsc="p1"/></constraints>
    <future-section id="f"><x y="z"/></future-section>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources><lrm_resource id="p1" class="ocf" provider="heartbeat"
        type="Dummy"><lrm_rsc_op id="p1_last_0" operation="start" call-id="x" rc-code="0"
        op-status="0" interval="0" exec-time="3" last-run="12"/></lrm_resource></lrm_resources>
      </lrm>
      <something-else/>
    </node_state>
  </status>
</cib>
"""


def both(data: bytes) -> tuple[object, object]:
    return (read.parse_element(document.parse(data)), read.parse_cib(data.decode("utf-8")))


def test_the_same_model_as_the_standard_library_parser() -> None:
    from_file, from_text = both(ODD.encode("utf-8"))
    assert from_file == from_text


def test_the_same_model_for_the_conformance_corpus() -> None:
    files = sorted(CORPUS.glob("*.xml"))
    if not files:
        pytest.skip(f"no conformance corpus at {CORPUS}")
    differ = [f.name for f in files if len(set(map(repr, both(f.read_bytes())))) != 1]
    assert differ == []


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"<cib><configuration>",
                                  b"<cib></cob>", b"<a/><b/>",
                                  b'<!DOCTYPE cib [<!ENTITY x SYSTEM "/etc/passwd">]><cib a="&x;"/>'])
def test_not_xml_is_one_line(data: bytes) -> None:
    with pytest.raises(ReportError) as exc:
        document.parse(data)
    [report] = exc.value.reports
    assert report.code == "CIB_NOT_XML"
    line = messages.render_report(report)
    assert "\n" not in line and report.field("detail") and "<string>" not in line


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("do not read")
    data = (f'<!DOCTYPE cib [<!ENTITY x SYSTEM "{secret}">]>'
            '<cib><configuration/><status>&x;</status></cib>').encode()
    with pytest.raises(ReportError):
        document.parse(data)


def test_a_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cib.xml"
    path.write_bytes(ODD.replace("<future-section", "<!-- -->\n<future-section").encode())
    parsed: list[bytes] = []
    real = document.parse

    def counting(data: bytes) -> object:
        parsed.append(data)
        return real(data)

    monkeypatch.setattr(document, "parse", counting)
    monkeypatch.setattr(schema, "check", lambda data: pytest.fail("the file parsed again"))
    io.read_cib_file(path, force=True)
    assert len(parsed) == 1


# -- the status section validated as the schema says: free ----------------------------------
def _schema_dir(tmp_path: Path, status_grammar: str) -> Path:
    """A copy of the installed schemas whose status-1.0.rng is `status_grammar`."""
    installed = schema.schema_dir()
    if not (installed / "pacemaker-3.7.rng").is_file():
        pytest.skip(f"no Pacemaker schemas in {installed}")
    copied = tmp_path / "schemas"
    copied.mkdir()
    for rng in installed.glob("*.rng"):
        (copied / rng.name).write_bytes(rng.read_bytes())
    (copied / "status-1.0.rng").write_text(status_grammar)
    return copied


_CONSTRAINED = """<?xml version="1.0" encoding="UTF-8"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><zeroOrMore><element name="node_state"><attribute name="id"/></element></zeroOrMore></start>
</grammar>
"""

_JUNK_STATUS = """<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7">
  <configuration><crm_config/><nodes/><resources/><constraints/></configuration>
  <status><whatever odd="1">text<deeper/></whatever></status>
</cib>"""


def test_the_installed_schemas_leave_the_status_free() -> None:
    from lxml import etree

    from vigil.cib import free_status

    found = sorted(schema.schema_dir().glob("pacemaker-*.rng"))
    if not found:
        pytest.skip("no Pacemaker schemas installed")
    assert [p.name for p in found if not free_status.is_free(p, etree)] == []


def test_a_schema_that_constrains_the_status_is_validated_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lxml import etree

    from vigil.cib import free_status

    directory = _schema_dir(tmp_path, _CONSTRAINED)
    assert not free_status.is_free(directory / "pacemaker-3.7.rng", etree)
    monkeypatch.setenv("VIGIL_SCHEMA_DIR", str(directory))
    [found] = schema.check(_JUNK_STATUS)
    assert (found.code, found.field("path")) == ("CIB_SCHEMA_UNKNOWN_ELEMENT", "/cib/status/whatever")


def test_anything_in_a_free_status_is_valid_and_the_rest_still_checked() -> None:
    if schema.newest() is None:
        pytest.skip("no Pacemaker schemas installed")
    assert schema.check(_JUNK_STATUS) == ()
    broken = _JUNK_STATUS.replace("<resources/>", "<resources><bogus/></resources>")
    assert [r.code for r in schema.check(broken)] == ["CIB_SCHEMA_UNKNOWN_ELEMENT"]

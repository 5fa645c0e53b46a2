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

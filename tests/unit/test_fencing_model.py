"""model.fencing: the fencing-topology as read and written by cib/, and a fencing outcome."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vigil.cib import read, validate, write
from vigil.model.fencing import FenceOutcome, FenceStatus, FencingLevel, FencingTopology
from vigil.model.xmlextra import Extra

CIB = """<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7">
<configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/><constraints/>
{topology}</configuration><status/></cib>"""


def parse(topology: str) -> FencingTopology | None:
    cib, _ = read.parse_cib(CIB.format(topology=topology))
    again, _ = read.parse_cib(write.write_cib(cib))
    assert again == cib  # the round trip keeps the model
    return cib.configuration.fencing_topology


def test_levels_of_every_kind() -> None:
    topology = parse(
        '<fencing-topology>'
        '<fencing-level id="a" index="1" target="n1" devices="ipmi"/>'
        '<fencing-level id="b" index="2" target-pattern="n[0-9]" devices="pdu1, pdu2"/>'
        '<fencing-level id="c" index="1" target-attribute="rack" target-value="r7" devices="r"/>'
        '</fencing-topology>')
    assert topology == FencingTopology(levels=(
        FencingLevel(id="a", index=1, devices=("ipmi",), target="n1"),
        FencingLevel(id="b", index=2, devices=("pdu1", "pdu2"), target_pattern="n[0-9]"),
        FencingLevel(id="c", index=1, devices=("r",), target_attribute="rack", target_value="r7")))
    assert [lv.target_text for lv in topology.levels] == ["n1", "regexp%n[0-9]", "attribute rack=r7"]
    a, b, c = topology.levels
    assert a.matches("N1", {}) and not a.matches("n2", {})
    assert b.matches("n3", {}) and not b.matches("db", {})
    assert c.matches("n9", {"rack": "r7"}) and not c.matches("n9", {"rack": "r8"})


def test_no_section_and_an_empty_one_differ() -> None:
    assert parse("") is None
    assert parse("<fencing-topology/>") == FencingTopology()
    cib, _ = read.parse_cib(CIB.format(topology="<fencing-topology/>"))
    assert ET.fromstring(write.write_cib(cib)).find("configuration/fencing-topology") is not None


def test_what_vigil_does_not_model_is_kept() -> None:
    topology = parse('<fencing-topology>'
                     '<fencing-level id="x" index="one" target="n1" devices="f" x-vendor="1"/>'
                     '<fencing-level id="y" target="n1" devices="f"/>'
                     '</fencing-topology>')
    assert topology is not None
    x, y = topology.levels
    assert x.index is None and x.extra == Extra((("index", "one"), ("x-vendor", "1")))
    assert y.index is None and y.extra == Extra()
    cib, _ = read.parse_cib(CIB.format(topology='<fencing-topology><fencing-level id="x" '
                                                'index="one" target="n1" devices="f"/>'
                                                '</fencing-topology>'))
    level = ET.fromstring(write.write_cib(cib)).find("configuration/fencing-topology/fencing-level")
    assert level is not None and level.get("index") == "one"


def test_level_ids_count_as_ids() -> None:
    cib, _ = read.parse_cib(CIB.format(topology='<fencing-topology>'
                                                '<fencing-level id="n" index="1" target="n1" devices="f"/>'
                                                '<fencing-level id="n" index="2" target="n1" devices="f"/>'
                                                '</fencing-topology>'))
    assert [r.code for r in validate.validate(cib)] == ["CIB_DUPLICATE_ID"]


def test_outcome() -> None:
    done = FenceOutcome(target="n1", action="off", status=FenceStatus.OK, detail="",
                        devices=("ipmi", "pdu"))
    assert done.ok and done.device == "ipmi,pdu"
    nothing = FenceOutcome(target="n1", action="off", status=FenceStatus.NO_DEVICE, detail="none")
    assert not nothing.ok and nothing.device == ""

"""Alerts decided from the CIB (controller.alerts) and their timestamps (daemon.alert_runner)."""

from __future__ import annotations

import time

from vigil.cib.read import parse_cib
from vigil.controller import alerts
from vigil.daemon.alert_runner import format_timestamp

CIB = """<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
<configuration><crm_config/><nodes/><resources/><constraints/><alerts>
  <alert id="all" path="/usr/local/bin/all.sh">
    <instance_attributes id="all-i"><nvpair id="all-i1" name="level" value="high"/></instance_attributes>
    <recipient id="all-r" value="ops@example.org">
      <instance_attributes id="all-r-i"><nvpair id="all-r-i1" name="level" value="low"/></instance_attributes>
      <meta_attributes id="all-r-m"><nvpair id="all-r-m1" name="timeout" value="3s"/></meta_attributes>
    </recipient>
  </alert>
  <alert id="fence-only" path="/usr/local/bin/fence.sh">
    <meta_attributes id="f-m"><nvpair id="f-m1" name="timestamp-format" value="%Y %3N"/></meta_attributes>
    <select><select_fencing/></select>
  </alert>
  <alert id="off" path="/usr/local/bin/off.sh">
    <meta_attributes id="o-m"><nvpair id="o-m1" name="enabled" value="false"/></meta_attributes>
  </alert>
</alerts></configuration><status/></cib>"""


def test_select_recipients_options_and_meta() -> None:
    cib, _ = parse_cib(CIB)
    node = alerts.calls_for(cib, "node", alerts.node_fields("n2", "2", False))
    assert [(c.alert_id, c.recipient_id) for c in node] == [("all", "all-r")]
    env = dict(node[0].env)
    assert env["CRM_alert_kind"] == "node" and env["CRM_alert_desc"] == "lost"
    assert env["CRM_alert_node"] == "n2" and env["CRM_alert_nodeid"] == "2"
    assert env["CRM_alert_recipient"] == "ops@example.org"
    assert env["level"] == "low"  # the recipient's option wins over the alert's
    assert node[0].timeout_ms == 3000 and node[0].timestamp_format == "%H:%M:%S.%06N"
    fencing = alerts.calls_for(cib, "fencing", alerts.fencing_fields("n2", "reboot", True,
                                                                       "n1", ""))
    assert [(c.alert_id, c.recipient_id) for c in fencing] == [("all", "all-r"),
                                                                ("fence-only", None)]
    only = dict(fencing[1].env)
    assert only["CRM_alert_recipient"] == "" and only["CRM_alert_task"] == "reboot"
    assert only["CRM_alert_desc"] == "Operation reboot of n2 by n1: OK"
    assert fencing[1].timeout_ms == 30_000 and fencing[1].timestamp_format == "%Y %3N"


def test_timestamp_has_pacemakers_fractions() -> None:
    now = time.mktime((2026, 12, 7, 14, 5, 6, 0, 0, -1)) + 0.123456
    assert format_timestamp("%H:%M:%S.%06N", now) == "14:05:06.123456"
    assert format_timestamp("%Y %3N", now) == "2026 123"

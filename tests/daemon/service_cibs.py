"""The seeds' web service as the daemon tests configure it: a VIP and a web server, colocated
and ordered; FENCED_CONFIG adds a fence device and turns fencing on."""

CONFIG = """<cib admin_epoch="0" epoch="1" num_updates="0" crm_feature_set="3.16.1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="WebIP" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="WebIP-ia">
          <nvpair id="WebIP-ip" name="ip" value="10.213.0.100"/>
        </instance_attributes>
        <operations><op id="WebIP-mon" name="monitor" interval="10s"/></operations>
      </primitive>
      <primitive id="WebSite" class="ocf" provider="heartbeat" type="apache">
        <operations><op id="WebSite-mon" name="monitor" interval="10s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_colocation id="c1" rsc="WebSite" with-rsc="WebIP" score="INFINITY"/>
      <rsc_order id="order-web" first="WebIP" then="WebSite"/>
    </constraints>
    <rsc_defaults>
      <meta_attributes id="rd"><nvpair id="rd-s" name="resource-stickiness" value="100"/></meta_attributes>
    </rsc_defaults>
  </configuration>
  <status/>
</cib>
"""

FENCED_CONFIG = CONFIG.replace(
    '<nvpair id="o1" name="stonith-enabled" value="false"/>',
    '<nvpair id="o1" name="stonith-enabled" value="true"/>').replace(
    "<resources>",
    """<resources>
      <primitive id="fence-lab" class="stonith" type="fence_vigil_lab">
        <instance_attributes id="fl-ia">
          <nvpair id="fl-h" name="pcmk_host_list" value="node1 node2 node3"/>
        </instance_attributes>
      </primitive>""")

# A promotable clone of ocf:pacemaker:Stateful (promoted-max 1, notifications on) with a
# monitor per role, beside the fence device: what tests/daemon/test_promotable_scenarios.py runs.
PROMOTABLE_CONFIG = FENCED_CONFIG.replace(
    """      <primitive id="WebIP" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="WebIP-ia">
          <nvpair id="WebIP-ip" name="ip" value="10.213.0.100"/>
        </instance_attributes>
        <operations><op id="WebIP-mon" name="monitor" interval="10s"/></operations>
      </primitive>
      <primitive id="WebSite" class="ocf" provider="heartbeat" type="apache">
        <operations><op id="WebSite-mon" name="monitor" interval="10s"/></operations>
      </primitive>""",
    """      <clone id="db-clone">
        <meta_attributes id="db-clone-meta">
          <nvpair id="db-clone-promotable" name="promotable" value="true"/>
          <nvpair id="db-clone-promoted-max" name="promoted-max" value="1"/>
          <nvpair id="db-clone-notify" name="notify" value="true"/>
        </meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="db-mon-promoted" name="monitor" interval="10s" role="Promoted"/>
            <op id="db-mon-unpromoted" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>""").replace(
    """      <rsc_colocation id="c1" rsc="WebSite" with-rsc="WebIP" score="INFINITY"/>
      <rsc_order id="order-web" first="WebIP" then="WebSite"/>""", "")
assert "db-clone" in PROMOTABLE_CONFIG and "WebSite" not in PROMOTABLE_CONFIG

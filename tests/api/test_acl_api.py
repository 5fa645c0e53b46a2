"""The endpoint holds a token's user to the CIB's ACLs as vigild's socket holds a local one:
reads filtered, a change refused unless every element it touches is writable, a cleanup only
with write on the resource, the routes over the whole cluster only with access to all of it;
hacluster and root are not held."""

from __future__ import annotations

import asyncio
import time

from endpoint_support import Served, served
from test_rest import call, login

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.daemon import control as c

ACLS = """<acls>
  <acl_role id="ro"><acl_permission id="ro-r" kind="read" xpath="/cib"/>
    <acl_permission id="ro-d" kind="deny" reference="WebIP-ia"/></acl_role>
  <acl_role id="site"><acl_permission id="site-w" kind="write" reference="WebSite"/></acl_role>
  <acl_target id="nobody"><role id="ro"/><role id="site"/></acl_target>
</acls>"""


async def with_acls(s: Served) -> None:
    xml = acl_config(s)
    fut = asyncio.ensure_future(s.cluster.push(xml))
    await s.cluster.settle()
    assert fut.result()[0], fut.result()


def acl_config(s: Served) -> str:
    """The cluster's CIB with enable-acl and ACLS."""
    return write_cib(s.cluster.node(1).cib).replace(
        '<cluster_property_set id="cib-bootstrap-options">',
        '<cluster_property_set id="cib-bootstrap-options">'
        '<nvpair id="o-acl" name="enable-acl" value="true"/>').replace(
        "</configuration>", ACLS + "</configuration>")


@served
async def test_a_token_s_user_is_held_to_the_acls(s: Served) -> None:
    root = await login(s)
    await with_acls(s)
    user = s.tokens.issue("nobody", int(time.time()))

    cib = await s.blocking(lambda: call(s, user, "GET", "/api/v1/cib"))
    assert cib.status == 200, cib.body
    seen = parse_cib(str(cib.body["xml"]))[0]
    assert "WebSite" in {r.id for r in seen.configuration.resources}
    assert "10.213.0.100" not in str(cib.body["xml"])  # the denied attribute set is cut out
    assert "10.213.0.100" in str((await s.blocking(
        lambda: call(s, root, "GET", "/api/v1/cib"))).body["xml"])  # root's is whole

    refused = await s.blocking(lambda: call(s, user, "POST", "/api/v1/resources/WebIP/disable"))
    assert refused.status == 403, refused.body
    [report] = refused.body["reports"]  # type: ignore[misc]
    assert report["code"] == "ACL_DENIED" and "nobody" in str(report["message"])
    done = await s.blocking(lambda: call(s, user, "POST", "/api/v1/resources/WebSite/disable"))
    assert done.status == 200, done.body

    control = await s.blocking(lambda: call(s, user, "POST", "/api/v1/control",
                                            c.encode_request(c.Fence("node2"))))
    assert control.status == 403 and control.body["ok"] is False, control.body
    status = await s.blocking(lambda: call(s, user, "GET", "/api/v1/status"))
    assert status.status == 403, status.body  # the whole CIB is not readable to it
    assert (await s.blocking(lambda: call(s, root, "GET", "/api/v1/status"))).status == 200
    bye = await s.blocking(lambda: call(s, user, "DELETE", "/api/v1/auth"))
    assert bye.status == 200

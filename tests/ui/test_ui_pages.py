"""The web UI in Debian's chromium (headless, through Playwright), served by the remote endpoint
in front of a real vigild on the simulated cluster (tests/api/endpoint_support): log in, the
dashboard following the cluster live, a node put in standby from the page and the resource
seen moving, a resource created from the form the agent's metadata builds, a resource's "why",
a move and the constraint it leaves behind, a what-if that changes nothing, the history, and
the pages' labels and keyboard use. A screenshot of each page is kept (conftest.ARTIFACTS).

The lab's own browser test (tests/lab/test_ui_lab.py) does the same against real Corosync."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

from browser_support import CHROMIUM_ARGS, artifact, chromium_path
from endpoint_support import PASSWORD, USER, Served, served
from playwright.async_api import Page, async_playwright, expect
from test_rest import call, login

NODES = ("node1", "node2", "node3")


@contextlib.asynccontextmanager
async def browser_page(s: Served) -> AsyncIterator[Page]:
    """A logged-out page on the endpoint; the simulated cluster runs meanwhile."""
    async def pump() -> None:
        while True:
            await s.cluster.settle()
            await asyncio.sleep(0.005)

    running = asyncio.create_task(pump())
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path(),
                                               args=CHROMIUM_ARGS)
            # the node's certificate is self-signed: pinning it is the CLI's business
            # (tests/api/test_remote.py); the browser is told to take it
            context = await browser.new_context(ignore_https_errors=True,
                                                viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"https://127.0.0.1:{s.port}/ui/")
            # the page asks for the status first and shows the login when it is refused
            await expect(page.get_by_role("button", name="Log in")).to_be_visible()
            yield page
            assert not errors, f"the page's script failed: {errors}"
            await browser.close()
    finally:
        running.cancel()


async def log_in(page: Page) -> None:
    await page.get_by_label("User").fill(USER)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


async def prepared(s: Served, *resources: str) -> str:
    token = await login(s)
    for path, body in (("/api/v1/properties", {"stonith-enabled": "false"}),
                       *(("/api/v1/resources", {"id": r, "agent": "ocf:heartbeat:Dummy"})
                         for r in resources)):
        method = "PUT" if path.endswith("properties") else "POST"
        done = await s.blocking(lambda m=method, p=path, b=body: call(s, token, m, p, b))
        assert done.status == 200, done.body
    return token


def where(s: Served, rid: str) -> list[str]:
    return sorted(s.cluster.world.where(rid))


async def settled_where(s: Served, rid: str) -> list[str]:
    for _ in range(400):
        here = where(s, rid)
        if len(here) == 1:
            return here
        await asyncio.sleep(0.01)
    raise AssertionError(f"{rid} does not run on one node: {where(s, rid)}")


async def _login_dashboard_and_standby(s: Served) -> None:
    await prepared(s, "web")
    [node] = await settled_where(s, "web")
    async with browser_page(s) as page:
        # a wrong password: the endpoint's one line, no way in
        await page.get_by_label("Password").fill("not-the-password")
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("alert").filter(has_text="do not log in")).to_be_visible()
        await log_in(page)
        row = page.locator("tr[data-resource=web]")
        await expect(row.locator("td.where")).to_have_text(node)
        for n in NODES:
            await expect(page.locator(f"tr[data-node={n}]")).to_contain_text("online")
        await page.screenshot(path=artifact("dashboard.png"), full_page=True)
        # the node running web goes to standby from the page; the page shows web leave it,
        # without a reload, from the live feed
        await page.get_by_role("button", name=f"Put {node} in standby").click()
        await expect(page.locator(f"tr[data-node={node}]")).to_contain_text("standby")
        await expect(row.locator("td.where")).not_to_have_text(node, timeout=15_000)
        await expect(row.locator("td.where")).to_have_text(where(s, "web")[0])
        assert s.cluster.node(1).cib.configuration.nodes  # the standby is in the CIB
        await page.get_by_role("button", name=f"Take {node} out of standby").click()
        await expect(page.locator(f"tr[data-node={node}]")).not_to_contain_text("standby")
        await page.screenshot(path=artifact("dashboard-after-standby.png"), full_page=True)


test_log_in_then_a_standby_from_the_dashboard_moves_the_resource_live = served(
    _login_dashboard_and_standby, timeout_s=120)


async def _create_from_the_form(s: Served) -> None:
    await prepared(s, "web")
    async with browser_page(s) as page:
        await log_in(page)
        await page.get_by_role("link", name="New resource").click()
        await page.get_by_label("Agent").select_option("ocf:heartbeat:IPaddr2")
        # the form is the agent's metadata: ip is required, cidr_netmask has its description
        await expect(page.get_by_label("ip (required)")).to_be_visible()
        await page.get_by_label("Agent").select_option("ocf:heartbeat:Dummy")
        fake = page.get_by_label("fake", exact=True)
        await expect(fake).to_have_attribute("placeholder", "default: dummy")
        # an id that exists: the CLI's refusal, nothing created
        await page.get_by_label("Resource id").fill("web")
        await page.get_by_role("button", name="Create").click()
        await expect(page.get_by_role("status").filter(has_text="web")).to_contain_text("already")
        await page.get_by_label("Resource id").fill("made-in-ui")
        await fake.fill("from-the-form")
        await page.screenshot(path=artifact("create.png"), full_page=True)
        await page.get_by_role("button", name="Create").click()
        await expect(page.get_by_role("heading", name="made-in-ui")).to_be_visible()
        made = next(r for r in s.cluster.node(2).cib.configuration.resources
                    if r.id == "made-in-ui")
        assert ("fake", "from-the-form") in [(p.name, p.value) for n in
                                             made.instance_attributes for p in n.pairs]


test_a_resource_is_created_from_the_agent_s_form = served(_create_from_the_form, timeout_s=120)


async def _why_move_and_clear(s: Served) -> None:
    await prepared(s, "web")
    [node] = await settled_where(s, "web")
    other = next(n for n in NODES if n != node)
    async with browser_page(s) as page:
        await log_in(page)
        await page.get_by_role("link", name="web", exact=True).click()
        why = page.get_by_label("Why web is where it is")
        await expect(why).to_contain_text("web")
        await expect(page.get_by_role("table").filter(has_text="Where it can run")).to_be_visible()
        # what the nodes' histories keep of it: its start where it runs
        operations = page.get_by_role("table").filter(has_text="Last change")
        await expect(operations.get_by_role("row").filter(has_text="start")).to_contain_text(node)
        await page.screenshot(path=artifact("resource-why.png"), full_page=True)
        await page.get_by_label("Move to").select_option(other)
        await page.get_by_role("button", name="Move", exact=True).click()
        # the constraint a move leaves behind is said, and listed on the page
        await expect(page.get_by_role("status").filter(has_text="cli-prefer-web")).to_be_visible()
        await expect(page.get_by_role("rowheader", name="cli-prefer-web")).to_be_visible()
        await expect(page.locator("span.where")).to_have_text(other, timeout=15_000)
        await page.get_by_role("button", name="Clear moves and bans").click()
        await expect(page.get_by_role("rowheader", name="cli-prefer-web")).to_have_count(
            0, timeout=15_000)
        assert not [c for c in s.cluster.node(1).cib.configuration.constraints
                    if c.id.startswith("cli-")]


test_a_resource_s_why_a_move_and_its_constraint = served(_why_move_and_clear, timeout_s=120)


async def _what_if(s: Served) -> None:
    await prepared(s, "web")
    [node] = await settled_where(s, "web")
    version = s.cluster.node(1).cib.version
    async with browser_page(s) as page:
        await log_in(page)
        await page.get_by_role("link", name="What if").click()
        await page.get_by_role("group", name="Nodes that lose power").get_by_label(node).check()
        await page.get_by_role("button", name="Ask").click()
        changed = page.locator("tr.changed").filter(has_text="web")
        await expect(changed).to_be_visible()
        await expect(page.get_by_text("A node failure is only asked, never applied.")).to_be_visible()
        await page.screenshot(path=artifact("whatif.png"), full_page=True)
    assert s.cluster.node(1).cib.version == version and where(s, "web") == [node]


test_what_if_shows_the_answer_and_changes_nothing = served(_what_if, timeout_s=120)


async def _history_and_live_log(s: Served) -> None:
    await prepared(s)
    log = s.tmp / "events.jsonl"
    now = time.time()
    events = [
        {"ts": now - 5, "event": "membership", "node": "node2", "members": ["node2", "node3"],
         "left": ["node1"]},
        {"ts": now - 4.5, "event": "transition-start", "node": "node2", "transition": "node2-3",
         "actions": ["start web on node2"]},
        {"ts": now - 4.0, "event": "action", "node": "node2", "resource": "web", "task": "start",
         "target": "node2", "rc": 0, "failed": False, "transition": "node2-3", "exec_ms": 12},
        {"ts": now - 3.9, "event": "transition-end", "node": "node2", "transition": "node2-3",
         "failed": []}]
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    async with browser_page(s) as page:
        await log_in(page)
        # a line the log gains while the dashboard is open shows up there
        with log.open("a") as f:
            f.write(json.dumps({"ts": time.time(), "event": "quorum", "node": "node1",
                                "quorate": True, "votes": 3, "expected": 3}) + "\n")
        await expect(page.get_by_text("quorum: quorate (3/3 votes)")).to_be_visible()
        await page.get_by_role("link", name="History").click()
        first = page.locator("details.transition").first
        await expect(first).to_contain_text("transition node2-3")
        await expect(first).to_contain_text("after membership: node2, node3 (node1 left)")
        timeline = page.get_by_role("list", name="Timeline of transition node2-3")
        await expect(timeline).to_contain_text("+1.00 s  node2: start web on node2: ok (12 ms)")
        await page.screenshot(path=artifact("history.png"), full_page=True)


test_the_history_page_and_the_live_log = served(_history_and_live_log, timeout_s=120)


# every form control has a label, every button a name, and the main pages have one h1
_A11Y = """() => {
  const out = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (!(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
      out.push(`unlabelled ${el.tagName} ${el.id || el.name || ""}`);
  }
  for (const b of document.querySelectorAll("button, a")) {
    if (!(b.textContent.trim() || b.getAttribute("aria-label"))) out.push(`nameless ${b.tagName}`);
  }
  if (document.querySelectorAll("h1").length !== 1) out.push("not one h1");
  if (!document.documentElement.lang) out.push("no lang");
  return out;
}"""


async def _accessible(s: Served) -> None:
    await prepared(s, "web")
    await settled_where(s, "web")
    async with browser_page(s) as page:
        assert await page.evaluate(_A11Y) == []  # the login form
        # the keyboard alone logs in: the user field (its default is hacluster), Tab to the
        # password, Enter
        await page.get_by_label("User").focus()
        await page.keyboard.press("Control+A")
        await page.keyboard.type(USER)
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        for link in ("Dashboard", "New resource", "Constraints", "Properties", "History",
                     "What if"):
            await page.get_by_role("link", name=link).click()
            await expect(page.locator("h1")).to_be_visible()
            await page.wait_for_load_state("networkidle")
            found = await page.evaluate(_A11Y)
            assert found == [], (link, found, await page.inner_html("main"))
        await page.goto(page.url.split("#")[0] + "#/resource/web")
        await expect(page.get_by_label("Why web is where it is")).to_be_visible()
        assert await page.evaluate(_A11Y) == []
        # the links and buttons are reached with Tab
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.tagName")
        assert focused in ("A", "BUTTON", "SELECT", "INPUT")


test_the_pages_are_labelled_and_work_from_the_keyboard = served(_accessible, timeout_s=120)


async def _session_rules(s: Served) -> None:
    """The session cookie is the browser's only key: HttpOnly (the page's script cannot read
    it), and a change sent with it but without the page's header is refused (another site's
    form cannot act)."""
    await prepared(s, "web")
    async with browser_page(s) as page:
        await log_in(page)
        cookies = await page.context.cookies()
        session = next(c for c in cookies if c["name"] == "vigil_session")
        assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
        assert "vigil_session" not in await page.evaluate("document.cookie")
        refused = await page.evaluate("""async () => {
            const r = await fetch("/api/v1/nodes/node1/standby", {method: "POST",
              credentials: "same-origin", headers: {"Content-Type": "application/json"},
              body: "{}"});
            return [r.status, (await r.json()).reports[0].code];
        }""")
        assert refused == [403, "REMOTE_UI_HEADER_MISSING"]
        await page.get_by_role("button", name="Log out").click()
        await expect(page.get_by_role("button", name="Log in")).to_be_visible()
        gone = await page.evaluate("""async () => (await fetch("/api/v1/status")).status""")
        assert gone == 401


test_the_session_cookie_cannot_be_read_or_used_from_elsewhere = served(_session_rules,
                                                                       timeout_s=120)


async def _edit_and_refusals(s: Served) -> None:
    """A resource's settings edited from its page; changes the CLI would refuse are refused
    on the page with the CLI's line, and change nothing."""
    await prepared(s, "web")
    async with browser_page(s) as page:
        await log_in(page)
        await page.goto(page.url.split("#")[0] + "#/resource/web")
        form = page.get_by_role("form", name="Settings of web")
        fake = form.get_by_label("fake", exact=True)
        await expect(fake).to_have_attribute("placeholder", "default: dummy")
        await fake.fill("edited")
        await form.get_by_label("New meta attribute").fill("resource-stickiness")
        await form.get_by_label("Value").fill("lots")
        await form.get_by_role("button", name="Save settings").click()
        refusal = page.get_by_role("status").filter(has_text="resource-stickiness")
        await expect(refusal).to_contain_text("lots")
        version = s.cluster.node(1).cib.version
        await form.get_by_label("Value").fill("50")
        await form.get_by_role("button", name="Save settings").click()
        await expect(page.get_by_role("status").filter(has_text="web updated")).to_be_visible()
        web = next(r for r in s.cluster.node(3).cib.configuration.resources if r.id == "web")
        assert ("fake", "edited") in [(p.name, p.value) for n in web.instance_attributes
                                      for p in n.pairs]
        assert ("resource-stickiness", "50") in [(p.name, p.value) for n in web.meta_attributes
                                                 for p in n.pairs]
        assert s.cluster.node(1).cib.version != version
        await expect(form.get_by_label("resource-stickiness")).to_have_value("50")
        await page.screenshot(path=artifact("resource-settings.png"), full_page=True)

        # the constraint and property forms: the CLI's refusals, nothing changed
        version = s.cluster.node(1).cib.version
        await page.get_by_role("link", name="Constraints").click()
        colocation = page.get_by_role("form", name="Add a colocation")
        await colocation.get_by_label("Resource").fill("web")
        await colocation.get_by_label("With").fill("no-such-thing")
        await colocation.get_by_role("button", name="Add").click()
        said = page.locator("#action-messages")
        await expect(said).to_contain_text("no-such-thing")
        await page.get_by_role("link", name="Properties").click()
        await page.get_by_label("Name").fill("no-such-property")
        await page.get_by_label("Value", exact=True).fill("1")
        await page.get_by_role("button", name="Set", exact=True).click()
        await expect(said).to_contain_text("no-such-property")
        assert s.cluster.node(1).cib.version == version


test_settings_edited_and_refusals_said_on_the_page = served(_edit_and_refusals, timeout_s=120)


async def _every_action(s: Served) -> None:
    """The rest of the issue's actions from the page, each seen done on the cluster, and the
    CLI's refusal where the CLI refuses."""
    token = await prepared(s, "web")
    [node] = await settled_where(s, "web")
    other = next(n for n in NODES if n != node)
    s.cluster.world.promotable.add("db")
    for path, body in (("/api/v1/resources", {"id": "db", "agent": "ocf:pacemaker:Stateful"}),
                       ("/api/v1/resources/db/promotable", {})):
        done = await s.blocking(lambda p=path, b=body: call(s, token, "POST", p, b))
        assert done.status == 200, done.body
    async with browser_page(s) as page:
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await log_in(page)
        said = page.locator("#action-messages")
        base = page.url.split("#")[0]
        await page.goto(base + "#/resource/web")
        where_now = page.locator("span.where")
        # disable, enable
        await page.get_by_role("button", name="Disable").click()
        await expect(where_now).to_have_text("stopped", timeout=15_000)
        assert where(s, "web") == []
        await page.get_by_role("button", name="Enable").click()
        await expect(where_now).not_to_have_text("stopped", timeout=15_000)
        [node] = await settled_where(s, "web")
        other = next(n for n in NODES if n != node)
        # a move to where it runs: the CLI's refusal, nothing changed
        await page.get_by_label("Move to").select_option(node)
        await page.get_by_role("button", name="Move", exact=True).click()
        await expect(said).to_contain_text("already runs on")
        assert not [c for c in s.cluster.node(1).cib.configuration.constraints
                    if c.id.startswith("cli-")]
        # ban from its node: the constraint is said and listed; clear
        await page.get_by_label("Ban from").select_option(node)
        await page.get_by_role("button", name="Ban", exact=True).click()
        await expect(said).to_contain_text(f"cli-ban-web-on-{node}")
        await expect(page.get_by_role("rowheader", name=f"cli-ban-web-on-{node}")).to_be_visible()
        await expect(where_now).not_to_have_text(node, timeout=15_000)
        await page.get_by_role("button", name="Clear moves and bans").click()
        await expect(page.get_by_role("rowheader", name=f"cli-ban-web-on-{node}")).to_have_count(
            0, timeout=15_000)
        # a cleanup (the failed operation's own button is tried on a real lab, whose executor
        # records failures: test_ui_lab.py)
        await page.get_by_role("button", name="Clean up").click()
        await expect(said).to_contain_text("web")
        await page.get_by_role("link", name="Dashboard").click()
        # a node's maintenance, on and off
        await page.get_by_role("button", name=f"Put {other} in maintenance").click()
        await expect(page.locator(f"tr[data-node={other}]")).to_contain_text("maintenance")
        await page.get_by_role("button", name=f"Take {other} out of maintenance").click()
        await expect(page.locator(f"tr[data-node={other}]")).not_to_contain_text("maintenance")
        # a location constraint added and removed; a property set and unset
        await page.get_by_role("link", name="Constraints").click()
        location = page.get_by_role("form", name="Add a location")
        await location.get_by_label("Resource").fill("web")
        await location.get_by_label("Node").fill(other)
        await location.get_by_label("Score").fill("100")
        await location.get_by_role("button", name="Add").click()
        added = page.get_by_role("rowheader", name=f"location-web-{other}")
        await expect(added).to_be_visible()
        # its score changed in place; a score that is not one refused, nothing changed
        await page.get_by_label(f"New score of location-web-{other}").fill("lots")
        await page.get_by_role("button", name=f"Change location-web-{other}").click()
        await expect(said).to_contain_text("lots")
        await page.get_by_label(f"New score of location-web-{other}").fill("-INFINITY")
        await page.get_by_role("button", name=f"Change location-web-{other}").click()
        await expect(page.get_by_role("row").filter(has=added)).to_contain_text(
            f"web on {other}: -INFINITY")
        await page.get_by_role("button", name=f"Remove constraint location-web-{other}").click()
        await expect(added).to_have_count(0)
        await page.get_by_role("link", name="Properties").click()
        await page.get_by_label("Name").fill("no-quorum-policy")
        await page.get_by_label("Value", exact=True).fill("freeze")
        await page.get_by_role("button", name="Set", exact=True).click()
        await expect(page.get_by_role("row").filter(has_text="no-quorum-policy")).to_contain_text(
            "freeze")
        await page.get_by_role("button", name="Unset no-quorum-policy").click()
        await expect(page.get_by_role("rowheader", name="no-quorum-policy")).to_have_count(0)
        # a promotable clone's page says why its promoted instance is promoted
        await page.goto(base + "#/resource/db-clone")
        promotion = page.get_by_role("table").filter(has_text="Why this instance is promoted")
        await expect(promotion).to_contain_text("promoted", timeout=15_000)
        await page.screenshot(path=artifact("resource-promotable.png"), full_page=True)
        # delete, confirmed
        await page.goto(base + "#/resource/web")
        await page.get_by_role("button", name="Delete").click()
        await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        await expect(page.locator("tr[data-resource=web]")).to_have_count(0, timeout=15_000)
        assert "web" not in {r.id for r in s.cluster.node(2).cib.configuration.resources}
        assert where(s, "web") == []  # stopped, then no longer listed


test_every_other_action_from_the_pages = served(_every_action, timeout_s=180)

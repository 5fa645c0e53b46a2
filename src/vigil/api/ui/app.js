// vigil's web UI: one page, served by the node's endpoint with this script and its style and
// nothing else. It reads and changes the cluster through the REST API (/api/v1/...) with the
// session cookie the login sets, and listens to /ui/stream for the status and the events log.
// Every text from the cluster goes into the page as text (never as HTML).
"use strict";

const state = { status: null, log: [], page: null, agents: null, lastStatusAt: 0 };

// -- DOM helpers ---------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const main = () => document.getElementById("main");
function show(...children) {
  const m = main();
  m.replaceChildren(...children.flat());
}
function badge(text, cls) { return h("span", { class: `badge ${cls || ""}` }, text); }
function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows));
}
function messages(reports, into) {
  const box = into || h("div", { class: "messages", role: "alert" });
  box.replaceChildren(...(reports || []).map((r) =>
    h("div", { class: `msg ${r.severity || "info"}` }, r.message || r.code)));
  return box;
}

// -- the API --------------------------------------------------------------------------------
async function api(method, path, body) {
  const opts = { method, credentials: "same-origin",
                 headers: { "X-Vigil-UI": "1", "Accept": "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let reply;
  try {
    reply = await fetch(path, opts);
  } catch (err) {
    return { ok: false, status: 0, reports: [{ severity: "error",
      message: `the node did not answer (${err.message}): is its endpoint running?` }] };
  }
  let data;
  try { data = await reply.json(); } catch (err) { data = {}; }
  if (reply.status === 401 && path !== "/ui/login") { loggedOut(); }
  if (!reply.ok || data.ok === false) {
    // the REST routes put each report's line in it; the endpoint's own refusals (login,
    // token) put one line beside them
    const reports = data.reports && data.reports.length
      ? data.reports.map((r) => ({ ...r, message: r.message || data.message || r.code }))
      : [{ severity: "error", message: data.message || `HTTP ${reply.status}` }];
    return { ...data, ok: false, status: reply.status, reports };
  }
  return { ...data, status: reply.status };
}

// -- login ------------------------------------------------------------------------------------
function loggedOut() {
  if (state.stream) { state.stream.close(); state.stream = null; }
  document.getElementById("nav").hidden = true;
  document.getElementById("live").textContent = "";
  const errors = h("div", { class: "messages", role: "alert" });
  const form = h("form", { "aria-label": "Log in", onsubmit: async (ev) => {
    ev.preventDefault();
    const user = form.querySelector("#login-user").value;
    const password = form.querySelector("#login-password").value;
    const done = await api("POST", "/ui/login", { username: user, password });
    if (!done.ok) { messages(done.reports, errors); return; }
    start();
  } },
    h("label", { for: "login-user" }, "User",
      h("input", { id: "login-user", name: "username", value: "hacluster",
                   autocomplete: "username", required: true })),
    h("label", { for: "login-password" }, "Password",
      h("input", { id: "login-password", name: "password", type: "password",
                   autocomplete: "current-password", required: true })),
    h("button", { type: "submit", class: "primary" }, "Log in"),
    errors);
  show(h("section", { class: "login" }, h("h1", {}, "Log in to the cluster"),
    h("p", { class: "muted" }, "The hacluster password of this node (as for 'vigil host auth')."),
    form));
  form.querySelector("#login-password").focus();
}

async function start() {
  const first = await api("GET", "/api/v1/status");
  if (first.status === 401) return;  // loggedOut() has shown the form
  if (first.ok) setStatus(first);
  document.getElementById("nav").hidden = false;
  openStream();
  route();
}

document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/ui/logout");
  loggedOut();
});

// -- the live feed ---------------------------------------------------------------------------
function openStream() {
  if (state.stream) state.stream.close();
  const es = new EventSource("/ui/stream");
  state.stream = es;
  es.addEventListener("status", (ev) => {
    const doc = JSON.parse(ev.data);
    if (doc.ok) setStatus(doc);
    else banner(`this node cannot read the cluster's status: ${doc.error}`);
    rerender();
  });
  es.addEventListener("log", (ev) => {
    const event = JSON.parse(ev.data);
    // a reconnected feed sends its backlog again
    if (state.log.some((e) => e.ts === event.ts && e.event === event.event && e.node === event.node)) return;
    state.log.unshift(event);
    state.log.length = Math.min(state.log.length, 100);
    rerender(true);
  });
  es.onerror = () => { liveLine(true); };
}

function setStatus(doc) {
  state.status = doc;
  state.lastStatusAt = Date.now();
  liveLine(false);
  const parts = [doc.cluster_name ? `cluster ${doc.cluster_name}` : "cluster",
                 `DC ${doc.dc || "none"}`, doc.have_quorum ? "quorate" : "NO QUORUM"];
  document.getElementById("cluster-line").textContent = parts.join(" · ");
  banner(doc.have_quorum ? "" :
    `${doc.node || "this node"} has no quorum: what it shows may be out of date, and the ` +
    "partition with quorum decides what runs");
}

function liveLine(broken) {
  const el = document.getElementById("live");
  const at = state.lastStatusAt ? new Date(state.lastStatusAt).toLocaleTimeString() : "never";
  el.textContent = broken ? `live feed lost (last update ${at}); retrying`
                          : `live · updated ${at}`;
  el.classList.toggle("stale", !!broken);
}

function banner(text) { document.getElementById("banner").textContent = text; }

let rerenderTimer = null;
function rerender(fromLog) {
  // the dashboard and a resource's page follow the status; the history follows the log
  const page = state.page;
  if (!page) return;
  if (page.live || (fromLog && page.followsLog)) {
    clearTimeout(rerenderTimer);
    rerenderTimer = setTimeout(() => page.render(), fromLog ? 300 : 0);
  }
}

// -- words for what the cluster reports -----------------------------------------------------------
function nodeStates(n, fencing) {
  const out = [];
  // fenced: offline, and the last fencing of it worked
  const last = (fencing || []).filter((f) => f.target === n.name).sort((a, b) => (a.time || 0) - (b.time || 0)).pop();
  if (!n.online && last && last.ok) out.push(badge(`fenced (${last.action})`, "bad"));
  if (n.unclean) out.push(badge("UNCLEAN", "bad"));
  if (!n.online) out.push(badge("offline", n.unclean ? "bad" : "warn"));
  else out.push(badge("online", "ok"));
  if (n.standby) out.push(badge("standby", "warn"));
  if (n.maintenance) out.push(badge("maintenance", "warn"));
  if (n.pending) out.push(badge("pending", "warn"));
  if (n.shutdown) out.push(badge("shutting down", "warn"));
  return out;
}

function phrase(ev) {
  const k = ev.event || ev.kind;
  const f = ev.fields ? Object.fromEntries(ev.fields) : ev;
  switch (k) {
    case "membership": return `membership: ${(f.members || []).join(", ")}` +
      ((f.left || []).length ? ` (${f.left.join(", ")} left)` : "");
    case "quorum": return `quorum: ${f.quorate ? "quorate" : "NOT quorate"} (${f.votes}/${f.expected} votes)`;
    case "fencing-requested": return `fencing requested: ${f.action} ${f.target}`;
    case "fencing": return `fencing ${f.action} ${f.target} by ${f.device}: ` +
      (f.ok ? "done" : `FAILED (${f.detail || ""})`);
    case "fencing-gave-up": return `fencing of ${f.target} given up`;
    case "action": return `${f.task} ${f.resource} on ${f.target}: ` +
      (f.failed ? `FAILED rc=${f.rc}` : "ok") + (f.exec_ms != null ? ` (${f.exec_ms} ms)` : "");
    case "transition-start": return `transition ${f.transition}: ${(f.actions || []).join(", ")}`;
    case "transition-end": return `transition ${f.transition} done` +
      ((f.failed || []).length ? `, failed ${f.failed.join(", ")}` : "");
    case "transition-abort": return `transition aborted: ${f.reason}`;
    case "config": return `configuration changed (${(f.version || []).join(".")})`;
    case "planning-held": return `the DC holds its planning: ${f.reason}` +
      ((f.operations || []).length ? ` (${f.operations.join(", ")})` : "");
    case "planning-resumed": return `the DC plans again (after: ${f.after})`;
    case "synced": return `in step with the cluster (CIB ${(f.version || []).join(".")})`;
    default: {
      const rest = Object.entries(f).filter(([key]) => !["ts", "event", "node"].includes(key));
      return `${k} ` + rest.map(([key, v]) => `${key}=${v}`).join(" ");
    }
  }
}

function where(r) {
  if (r.kind === "clone") return (r.instances || []).filter((i) => i.node)
    .map((i) => `${i.node}${i.role === "Promoted" ? " (Promoted)" : ""}`).join(", ") || "stopped";
  return r.nodes.length ? r.nodes.join(", ") : "stopped";
}

function resourceStates(r) {
  const out = [];
  if (r.failed) out.push(badge("FAILED", "bad"));
  if (r.target_role === "Stopped") out.push(badge("disabled", "warn"));
  if (!r.managed) out.push(badge("unmanaged", "warn"));
  if (r.orphan) out.push(badge("orphan", "warn"));
  const counts = Object.entries(r.fail_counts || {}).filter(([, c]) => c > 0);
  if (counts.length) out.push(badge(`fail count ${counts.map(([n, c]) => `${n}:${c}`).join(" ")}`, "warn"));
  return out;
}

// -- an action button: run it, show the reports, keep the page ------------------------------------
function actionButton(label, method, path, body, opts) {
  const o = opts || {};
  return h("button", { type: "button", class: o.cls || "", "aria-label": o.aria || null,
    onclick: async () => {
      if (o.confirm && !window.confirm(o.confirm)) return;
      const done = await api(method, path, typeof body === "function" ? body() : body);
      say(done.reports && done.reports.length ? done.reports
        : [{ severity: "info", message: `${label}: done` }]);
      if (done.ok && o.after) o.after(done);
    } }, label);
}
// what the last action said stays on its page while the live status redraws it
function say(reports) {
  if (state.page) state.page.kept.messages = reports;
  const box = document.getElementById("action-messages");
  if (box) messages(reports, box);
}
function actionMessages() {
  const box = h("div", { id: "action-messages", class: "messages", role: "status", "aria-live": "polite" });
  return messages(state.page && state.page.kept.messages, box);
}

// -- pages ------------------------------------------------------------------------------------
const pages = {
  dashboard: { live: true, title: "Dashboard", render: renderDashboard },
  resource: { live: true, title: "Resource", render: renderResource },
  create: { title: "New resource", render: renderCreate },
  constraints: { title: "Constraints", render: renderConstraints },
  properties: { title: "Properties", render: renderProperties },
  history: { followsLog: true, title: "History", render: renderHistory },
  whatif: { title: "What if", render: renderWhatIf },
};

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = hash.split("/");
  const page = { ...(pages[name || "dashboard"] || pages.dashboard) };
  page.arg = rest.map(decodeURIComponent).join("/");
  page.kept = {};
  state.page = page;
  document.title = `${page.title} · vigil`;
  for (const a of document.querySelectorAll("nav a")) {
    const target = a.getAttribute("href").replace(/^#\/?/, "") || "dashboard";
    if (target === (name || "dashboard")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  page.render();
  main().focus();
}
window.addEventListener("hashchange", () => { if (state.page) route(); });

function renderDashboard() {
  const s = state.status;
  if (!s) { show(h("h1", {}, "Dashboard"), h("p", {}, "Reading the cluster's status…")); return; }
  const nodes = s.nodes.map((n) => h("tr", { "data-node": n.name },
    h("th", { scope: "row" }, n.name),
    h("td", {}, nodeStates(n, s.fencing), n.name === s.dc ? badge("DC", "ok") : null),
    h("td", {}, h("div", { class: "actions" },
      n.standby ? actionButton("Unstandby", "POST", `/api/v1/nodes/${n.name}/unstandby`, {}, { aria: `Take ${n.name} out of standby` })
                : actionButton("Standby", "POST", `/api/v1/nodes/${n.name}/standby`, {}, { aria: `Put ${n.name} in standby` }),
      n.maintenance ? actionButton("Unmaintenance", "POST", `/api/v1/nodes/${n.name}/unmaintenance`, {}, { aria: `Take ${n.name} out of maintenance` })
                    : actionButton("Maintenance", "POST", `/api/v1/nodes/${n.name}/maintenance`, {}, { aria: `Put ${n.name} in maintenance` })))));
  const rows = [];
  for (const r of s.resources) {
    if (r.parent && s.resources.some((p) => p.id === r.parent && p.kind === "clone")) continue;
    // a deleted resource is listed while it still runs somewhere (as crm_mon does)
    if (r.orphan && !r.nodes.length) continue;
    rows.push(h("tr", { "data-resource": r.id },
      h("th", { scope: "row" }, r.parent ? `${r.parent} › ` : "",
        h("a", { href: `#/resource/${encodeURIComponent(r.id)}` }, r.id)),
      h("td", {}, r.kind === "clone" ? (r.promotable ? "promotable clone" : "clone") : r.kind),
      h("td", {}, r.agent || ""),
      h("td", { class: "role" }, r.role),
      h("td", { class: "where" }, where(r)),
      h("td", {}, resourceStates(r))));
  }
  const failed = (s.failed_actions || []).map((f) => h("tr", {},
    h("td", {}, f.resource), h("td", {}, f.node),
    h("td", {}, f.interval_ms ? `${f.operation} every ${f.interval_ms / 1000} s` : f.operation),
    h("td", {}, `rc=${f.rc_code}${f.exit_reason ? `: ${f.exit_reason}` : ""}` +
      (f.last_rc_change ? ` at ${new Date(f.last_rc_change * 1000).toLocaleString()}` : "")),
    h("td", {}, actionButton("Clean up", "POST", `/api/v1/resources/${encodeURIComponent(f.resource)}/cleanup`,
      { node: f.node }, { aria: `Clean up ${f.resource} on ${f.node}` }))));
  const fencing = (s.fencing || []).map((f) => h("tr", {},
    h("td", {}, f.target), h("td", {}, f.action),
    h("td", { class: f.ok ? "ok" : "bad" }, f.ok ? (f.manual ? "confirmed by hand" : "done")
      : `FAILED${f.detail ? `: ${f.detail}` : ""}`),
    h("td", {}, [f.device, f.executioner && `from ${f.executioner}`].filter(Boolean).join(" ")),
    h("td", {}, f.time ? new Date(f.time * 1000).toLocaleString() : "")));
  const log = state.log.slice(0, 20).map((ev) => h("li", {},
    `${new Date(ev.ts * 1000).toLocaleTimeString()} ${ev.node || ""}: ${phrase(ev)}`));
  show(h("h1", {}, "Dashboard"), actionMessages(),
    h("p", {}, `${s.nodes.length} nodes, ${s.resources.filter((r) => r.kind === "primitive").length} resources; ` +
      `fencing ${s.stonith_enabled ? "on" : "OFF"}` + (s.maintenance_mode ? "; MAINTENANCE MODE" : "")),
    h("h2", { id: "nodes-h" }, "Nodes"),
    table(["Node", "State", "Actions"], nodes),
    h("h2", {}, "Resources"),
    table(["Resource", "Kind", "Agent", "Role", "Where", "State"], rows),
    h("h2", {}, "Failed operations"),
    failed.length ? table(["Resource", "Node", "Operation", "Result", ""], failed)
                  : h("p", { class: "muted" }, "None."),
    h("h2", {}, "Fencing history"),
    fencing.length ? table(["Target", "Action", "Outcome", "By", "When"], fencing)
                   : h("p", { class: "muted" }, "No node fenced."),
    h("h2", {}, "Events (live, this node's log)"),
    log.length ? h("ol", { class: "timeline", "aria-label": "Events" }, log)
               : h("p", { class: "muted" }, "Nothing logged yet."));
}

async function renderResource() {
  const page = state.page;
  const id = page.arg;
  const s = state.status;
  const r = s && s.resources.find((x) => x.id === id);
  if (!page.kept.explain) {
    page.kept.explain = "loading";
    api("GET", `/api/v1/resources/${encodeURIComponent(id)}/explain`).then((e) => {
      page.kept.explain = e;
      if (state.page === page) page.render();
    });
    api("GET", `/api/v1/resources/${encodeURIComponent(id)}`).then(async (conf) => {
      // the edit form: what is set, and what the agent's metadata offers besides
      const meta = conf.ok && conf.agent
        ? await api("GET", `/api/v1/agents/${encodeURIComponent(conf.agent)}`) : { ok: false };
      page.kept.settings = { conf, meta };
      if (state.page === page) page.render();
    });
    api("GET", "/api/v1/constraints").then((c) => {
      page.kept.constraints = c.ok ? c.constraints.filter((x) => x.resources.includes(id) ||
        (r && r.parent && x.resources.includes(r.parent))) : [];
      if (state.page === page) page.render();
    });
  }
  if (!r) {
    show(h("h1", {}, id), h("p", {}, s ? `No resource '${id}' in the cluster's status.` : "Reading…"));
    return;
  }
  // the forms keep what the operator typed when the live status redraws the page
  const movable = r.kind !== "clone" || r.promotable;
  const nodeNames = s.nodes.map((n) => n.name);
  const pick = (sel) => h("select", { id: sel },
    nodeNames.map((n) => h("option", { value: n, selected: page.kept[sel] === n }, n)));
  const moveSel = pick("move-node");
  const banSel = pick("ban-node");
  moveSel.addEventListener("change", () => { page.kept["move-node"] = moveSel.value; });
  banSel.addEventListener("change", () => { page.kept["ban-node"] = banSel.value; });
  const path = `/api/v1/resources/${encodeURIComponent(id)}`;
  // after a change, ask the scheduler and the constraints again
  const reread = () => {
    page.kept.explain = null; page.kept.settings = null;
    if (state.page === page) page.render();
  };
  const e = page.kept.explain;
  const why = e === "loading" || !e ? h("p", {}, "Asking the scheduler…")
    : !e.ok ? messages(e.reports)
    : h("div", {},
        h("pre", { class: "explain", "aria-label": `Why ${id} is where it is` }, e.text),
        e.ranking && e.ranking.length ? table(["Node", "Score", "Available", "From"],
          e.ranking.map((v) => h("tr", {},
            h("th", { scope: "row" }, v.node, v.chosen ? " ✓" : ""),
            h("td", {}, String(v.score)),
            h("td", {}, v.available ? "yes" : `no: ${v.unavailable_because || ""}`),
            h("td", {}, v.contributions.map((c) => `${c.value >= 0 ? "+" : ""}${c.value} ${c.kind}: ${c.detail}`).join("; ")))),
          "Where it can run, best first") : null,
        e.promotion && e.promotion.length ? table(["Instance", "Node", "Promotion score", "Promoted now", "Next"],
          e.promotion.map((p) => h("tr", {}, h("th", { scope: "row" }, p.instance), h("td", {}, p.node || "—"),
            h("td", {}, String(p.score)), h("td", {}, p.promoted_now ? "yes" : "no"),
            h("td", {}, p.promoted_next ? "promoted" : `not promoted${p.why_not ? ` (${p.why_not})` : ""}`))),
          "Why this instance is promoted") : null);
  const cons = page.kept.constraints;
  const editForm = settingsForm(page, id, reread);
  show(h("h1", {}, `${r.id}`),
    h("p", {}, `${r.kind}${r.agent ? ` · ${r.agent}` : ""} · ${r.role} · `,
      h("span", { class: "where" }, where(r)), " ", resourceStates(r)),
    actionMessages(),
    h("div", { class: "actions", role: "group", "aria-label": "Actions" },
      r.target_role === "Stopped" ? actionButton("Enable", "POST", `${path}/enable`, {})
                                  : actionButton("Disable", "POST", `${path}/disable`, {}),
      actionButton("Clean up", "POST", `${path}/cleanup`, {}),
      actionButton("Clear moves and bans", "POST", `${path}/clear`, {},
        { after: reread }),
      actionButton("Delete", "DELETE", path, undefined, { cls: "danger",
        confirm: `Delete ${id} and every constraint that names it?`,
        after: () => { location.hash = "#/"; } })),
    movable ? h("div", { class: "actions", role: "group", "aria-label": "Move or ban" },
      h("label", { for: "move-node" }, r.promotable ? "Promote on" : "Move to", moveSel),
      actionButton(r.promotable ? "Move promoted" : "Move", "POST", `${path}/move`,
        () => ({ node: moveSel.value, promoted: !!r.promotable }),
        { after: reread }),
      h("label", { for: "ban-node" }, "Ban from", banSel),
      actionButton("Ban", "POST", `${path}/ban`, () => ({ node: banSel.value }),
        { after: reread })) : null,
    h("h2", {}, "Why it is where it is"), why,
    h("h2", {}, "Operations"), operationsTable(s, r),
    h("h2", {}, "Settings"), editForm,
    h("h2", {}, "Constraints on it"),
    !cons ? h("p", {}, "Reading…") : cons.length ? table(["Constraint", "Says", ""], cons.map((c) =>
      h("tr", {}, h("th", { scope: "row" }, c.id), h("td", {}, c.says),
        h("td", {}, actionButton("Remove", "DELETE", `/api/v1/constraints/${encodeURIComponent(c.id)}`,
          undefined, { aria: `Remove constraint ${c.id}`, after: reread })))))
      : h("p", { class: "muted" }, "None."));
}

// what the nodes' histories keep of this resource (a clone: of its instances)
function operationsTable(s, r) {
  const base = (id) => id.replace(/:\d+$/, "");
  const mine = new Set([r.id, ...(r.instances || []).map((i) => base(i.id))]);
  const rows = [];
  for (const n of s.operations || []) {
    for (const op of n.operations) {
      if (!mine.has(base(op.resource))) continue;
      rows.push(h("tr", {}, h("td", {}, n.node), h("td", {}, String(op.call_id)),
        h("td", {}, op.interval_ms ? `${op.operation} every ${op.interval_ms / 1000} s` : op.operation),
        h("td", { class: op.rc_code === 0 || (op.operation === "monitor" && op.rc_code === 7 && !op.interval_ms) ? "" : "bad" },
          String(op.rc_code)),
        h("td", {}, op.last_rc_change ? new Date(op.last_rc_change * 1000).toLocaleString() : "")));
    }
  }
  return rows.length ? table(["Node", "Call", "Operation", "Result (rc)", "Last change"], rows)
                     : h("p", { class: "muted" }, "No operation recorded.");
}

function settingsForm(page, id, reread) {
  const found = page.kept.settings;
  if (!found) return h("p", {}, "Reading…");
  const { conf, meta } = found;
  if (!conf.ok) return messages(conf.reports);
  if (conf.kind !== "primitive") {
    return h("p", {}, `${conf.kind} of ${conf.members.join(", ")}` +
      (conf.meta.length ? `; meta ${conf.meta.map(([k, v]) => `${k}=${v}`).join(" ")}` : ""));
  }
  // the form's values survive the live redraws: kept by input id
  const kept = page.kept.form || (page.kept.form = {});
  const set = Object.fromEntries(conf.params);
  const described = meta.ok ? meta.parameters.filter((p) => !p.deprecated || p.name in set) : [];
  const names = [...new Set([...conf.params.map(([k]) => k), ...described.map((p) => p.name)])];
  const info = Object.fromEntries(described.map((p) => [p.name, p]));
  const input = (key, value, attrs) => {
    const el = h("input", { id: key, value: key in kept ? kept[key] : value, ...(attrs || {}) });
    el.addEventListener("input", () => { kept[key] = el.value; });
    return el;
  };
  const metaSet = Object.fromEntries(conf.meta);
  return h("form", { "aria-label": `Settings of ${id}`, onsubmit: async (ev) => {
    ev.preventDefault();
    const params = {}; const metaOut = {};
    for (const name of names) {
      const v = ev.target.querySelector(`#edit-param-${CSS.escape(name)}`).value;
      if (v !== (set[name] ?? "")) params[name] = v;  // an empty value removes it
    }
    for (const [k] of conf.meta) {
      const v = ev.target.querySelector(`#edit-meta-${CSS.escape(k)}`).value;
      if (v !== metaSet[k]) metaOut[k] = v;
    }
    const newName = ev.target.querySelector("#edit-meta-new-name").value.trim();
    if (newName) metaOut[newName] = ev.target.querySelector("#edit-meta-new-value").value;
    if (!Object.keys(params).length && !Object.keys(metaOut).length) {
      say([{ severity: "info", message: "nothing changed" }]);
      return;
    }
    const done = await api("PATCH", `/api/v1/resources/${encodeURIComponent(id)}`,
      { params, meta: metaOut });
    say(done.reports && done.reports.length ? done.reports
      : [{ severity: "info", message: `${id} updated` }]);
    if (done.ok) { page.kept.form = {}; page.kept.settings = null; reread(); }
  } },
    h("p", { class: "muted" }, `${conf.agent}; an emptied value removes the setting.`),
    names.map((name) => h("div", { class: "param" },
      h("label", { for: `edit-param-${name}` },
        `${name}${info[name] && info[name].required ? " (required)" : ""}`,
        input(`edit-param-${name}`, set[name] ?? "", {
          placeholder: info[name] && info[name].default != null ? `default: ${info[name].default}` : "" })),
      info[name] ? h("div", { class: "desc" }, info[name].shortdesc || "") : null)),
    h("h3", {}, "Meta attributes"),
    conf.meta.map(([k, v]) => h("label", { for: `edit-meta-${k}` }, k, input(`edit-meta-${k}`, v))),
    h("div", { class: "actions" },
      h("label", { for: "edit-meta-new-name" }, "New meta attribute", input("edit-meta-new-name", "")),
      h("label", { for: "edit-meta-new-value" }, "Value", input("edit-meta-new-value", ""))),
    h("p", {}, "Operations: ", conf.operations.map((o) =>
      `${o.name} every ${o.interval}${o.options.length ? ` (${o.options.map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}`)
      .join("; ") || "none"),
    h("button", { type: "submit", class: "primary" }, "Save settings"));
}

async function renderCreate() {
  const page = state.page;
  if (!state.agents) {
    show(h("h1", {}, "New resource"), h("p", {}, "Reading the agents installed on this node…"));
    const found = await api("GET", "/api/v1/agents");
    state.agents = found.ok ? found.agents : [];
    if (state.page !== page) return;
  }
  const errors = actionMessages();
  const params = h("div", { id: "params" });
  const agentSel = h("select", { id: "agent", name: "agent", required: true },
    h("option", { value: "" }, "— choose an agent —"),
    state.agents.map((a) => h("option", { value: a }, a)));
  agentSel.addEventListener("change", async () => {
    params.replaceChildren(h("p", {}, "Reading the agent's metadata…"));
    if (!agentSel.value) { params.replaceChildren(); return; }
    const meta = await api("GET", `/api/v1/agents/${encodeURIComponent(agentSel.value)}`);
    if (!meta.ok) { params.replaceChildren(messages(meta.reports)); return; }
    const shown = meta.parameters.filter((p) => !p.deprecated)
      .sort((a, b) => (b.required - a.required) || a.name.localeCompare(b.name));
    params.replaceChildren(
      h("p", { class: "muted" }, meta.shortdesc || ""),
      ...shown.map((p) => h("div", { class: "param" },
        h("label", { for: `param-${p.name}` },
          `${p.name}${p.required ? " (required)" : ""}`,
          h("input", { id: `param-${p.name}`, "data-param": p.name, required: p.required,
                       placeholder: p.default != null ? `default: ${p.default}` : "" })),
        h("div", { class: "desc" }, p.shortdesc || ""),
        p.longdesc && p.longdesc !== p.shortdesc
          ? h("details", {}, h("summary", {}, "more"), h("div", { class: "desc" }, p.longdesc)) : null)));
  });
  const form = h("form", { "aria-label": "New resource", onsubmit: async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const input of params.querySelectorAll("input[data-param]")) {
      if (input.value !== "") values[input.dataset.param] = input.value;
    }
    const body = { id: form.querySelector("#rsc-id").value, agent: agentSel.value, params: values,
                   disabled: form.querySelector("#rsc-disabled").checked };
    const done = await api("POST", "/api/v1/resources", body);
    say(done.reports && done.reports.length ? done.reports
      : [{ severity: "info", message: `created ${body.id}` }]);
    if (done.ok) location.hash = `#/resource/${encodeURIComponent(body.id)}`;
  } },
    h("label", { for: "rsc-id" }, "Resource id", h("input", { id: "rsc-id", name: "id", required: true })),
    h("label", { for: "agent" }, "Agent", agentSel),
    params,
    h("label", { class: "check", for: "rsc-disabled" },
      h("input", { id: "rsc-disabled", type: "checkbox" }), "Create it stopped (disabled)"),
    h("button", { type: "submit", class: "primary" }, "Create"));
  show(h("h1", {}, "New resource"), errors, form);
}

async function renderConstraints() {
  const page = state.page;
  const found = await api("GET", "/api/v1/constraints");
  if (state.page !== page) return;
  const errors = actionMessages();
  const refresh = () => { if (state.page === page) page.render(); };
  const field = (id, label, attrs) => h("label", { for: id }, label, h("input", { id, required: true, ...(attrs || {}) }));
  const submit = (kind, names) => async (ev) => {
    ev.preventDefault();
    const body = { kind };
    for (const [key, id] of Object.entries(names)) {
      const v = ev.target.querySelector(`#${id}`).value;
      if (v !== "") body[key] = v;
    }
    const done = await api("POST", "/api/v1/constraints", body);
    say(done.reports && done.reports.length ? done.reports
      : [{ severity: "info", message: `${kind} constraint added` }]);
    if (done.ok) setTimeout(refresh, 100);
  };
  show(h("h1", {}, "Constraints"), errors,
    found.ok ? (found.constraints.length ? table(["Constraint", "Kind", "Says", "Change", ""], found.constraints.map((c) => {
      const path = `/api/v1/constraints/${encodeURIComponent(c.id)}`;
      const score = h("input", { id: `score-${c.id}`, size: 10,
        "aria-label": c.kind === "order" ? `New kind of ${c.id}` : `New score of ${c.id}`,
        placeholder: c.kind === "order" ? "Optional" : "INFINITY" });
      return h("tr", {}, h("th", { scope: "row" }, c.id), h("td", {}, c.kind), h("td", {}, c.says),
        h("td", {}, c.kind === "other" ? "" : h("div", { class: "actions" }, score,
          actionButton("Change", "PATCH", path, () => ({ score: score.value }),
            { aria: `Change ${c.id}`, after: refresh }))),
        h("td", {}, actionButton("Remove", "DELETE", path,
          undefined, { aria: `Remove constraint ${c.id}`, after: refresh })));
    }))
      : h("p", { class: "muted" }, "No constraints.")) : messages(found.reports),
    h("h2", {}, "Add a location"),
    h("form", { class: "inline", "aria-label": "Add a location", onsubmit: submit("location",
      { resource: "loc-rsc", node: "loc-node", score: "loc-score" }) },
      field("loc-rsc", "Resource"), field("loc-node", "Node"),
      field("loc-score", "Score", { value: "INFINITY" }), h("button", { type: "submit" }, "Add")),
    h("h2", {}, "Add a colocation"),
    h("form", { class: "inline", "aria-label": "Add a colocation", onsubmit: submit("colocation",
      { source: "col-src", target: "col-tgt", score: "col-score" }) },
      field("col-src", "Resource"), field("col-tgt", "With"),
      field("col-score", "Score", { value: "INFINITY" }), h("button", { type: "submit" }, "Add")),
    h("h2", {}, "Add an order"),
    h("form", { class: "inline", "aria-label": "Add an order", onsubmit: submit("order",
      { first: "ord-first", then: "ord-then" }) },
      field("ord-first", "First"), field("ord-then", "Then"), h("button", { type: "submit" }, "Add")));
}

async function renderProperties() {
  const page = state.page;
  const found = await api("GET", "/api/v1/properties");
  if (state.page !== page) return;
  const errors = actionMessages();
  const refresh = () => { if (state.page === page) page.render(); };
  show(h("h1", {}, "Cluster properties"), errors,
    found.ok ? table(["Property", "Value", ""], found.properties.map((p) => h("tr", {},
      h("th", { scope: "row" }, p.name), h("td", {}, p.value ?? `(default ${p.default})`),
      h("td", {}, actionButton("Unset", "DELETE", `/api/v1/properties/${encodeURIComponent(p.name)}`,
        undefined, { aria: `Unset ${p.name}`, after: refresh })))))
      : messages(found.reports),
    h("h2", {}, "Set a property"),
    h("form", { class: "inline", "aria-label": "Set a property", onsubmit: async (ev) => {
      ev.preventDefault();
      const name = ev.target.querySelector("#prop-name").value;
      const value = ev.target.querySelector("#prop-value").value;
      const done = await api("PUT", "/api/v1/properties", { [name]: value });
      say(done.reports && done.reports.length ? done.reports
        : [{ severity: "info", message: `${name} set to ${value}` }]);
      if (done.ok) refresh();
    } },
      h("label", { for: "prop-name" }, "Name", h("input", { id: "prop-name", required: true })),
      h("label", { for: "prop-value" }, "Value", h("input", { id: "prop-value" })),
      h("button", { type: "submit" }, "Set")));
}

async function renderHistory() {
  const page = state.page;
  const found = await api("GET", "/api/v1/history?limit=30");
  if (state.page !== page) return;
  if (!found.ok) { show(h("h1", {}, "History"), messages(found.reports)); return; }
  const open = new Set([...main().querySelectorAll("details[open]")].map((d) => d.dataset.id));
  const items = found.transitions.map((t, i) => h("details", {
      class: "transition", "data-id": t.transition, open: open.has(t.transition) || (i === 0 && !open.size) },
    h("summary", {},
      `${new Date(t.started * 1000).toLocaleString()} · transition ${t.transition} · `,
      badge(t.outcome, t.outcome === "done" ? "ok" : t.outcome === "running" ? "warn" : "bad"),
      t.duration_s != null ? ` ${t.duration_s.toFixed(2)} s from its trigger` : "",
      t.trigger ? ` · after ${phrase(t.trigger)}` : "",
      t.abort_reason ? ` · aborted: ${t.abort_reason}` : ""),
    h("p", {}, "Planned: ", t.planned.join(", ") || "—"),
    h("ol", { class: "timeline", "aria-label": `Timeline of transition ${t.transition}` },
      t.timeline.map((m) => h("li", {}, `+${m.after_s.toFixed(2)} s  ${m.node}: ${phrase(m)}`)))));
  show(h("h1", {}, "History"),
    h("p", { class: "muted" }, `The last transitions this node logged (newest first), each with ` +
      `what set it off and its timeline. ${found.events_read} events read.`),
    items.length ? items : h("p", {}, "No transition logged yet."));
}

function renderWhatIf() {
  const page = state.page;
  const s = state.status;
  if (!s) { show(h("h1", {}, "What if"), h("p", {}, "Reading the cluster's status…")); return; }
  const result = h("section", { id: "whatif-result", "aria-live": "polite" });
  const checks = (prefix, legend) => h("fieldset", {}, h("legend", {}, legend),
    s.nodes.map((n) => h("label", { class: "check", for: `${prefix}-${n.name}` },
      h("input", { type: "checkbox", id: `${prefix}-${n.name}`, value: n.name, "data-group": prefix }), n.name)));
  const movable = s.resources.filter((r) => r.kind === "primitive" && !r.parent ||
    (r.kind === "clone" && r.promotable) || r.kind === "group");
  const rscSel = h("select", { id: "move-rsc" }, h("option", { value: "" }, "— none —"),
    movable.map((r) => h("option", { value: r.id }, r.id)));
  const nodeSel = h("select", { id: "move-to" }, s.nodes.map((n) => h("option", { value: n.name }, n.name)));
  const question = () => {
    const picked = (g) => [...main().querySelectorAll(`input[data-group=${g}]:checked`)].map((i) => i.value);
    const q = { fail: picked("fail"), standby: picked("standby"), moves: [] };
    if (rscSel.value) {
      const r = s.resources.find((x) => x.id === rscSel.value);
      q.moves.push({ resource: rscSel.value, node: nodeSel.value, promoted: !!(r && r.promotable) });
    }
    return q;
  };
  const form = h("form", { "aria-label": "What if", onsubmit: async (ev) => {
    ev.preventDefault();
    const q = question();
    result.replaceChildren(h("p", {}, "Asking the scheduler…"));
    const a = await api("POST", "/api/v1/whatif", q);
    if (!a.ok) { result.replaceChildren(messages(a.reports)); return; }
    const before = Object.fromEntries(a.before.map((p) => [p.resource, p]));
    const fmt = (p) => p ? `${p.nodes.join(", ") || "stopped"}${p.role && p.nodes.length ? ` (${p.role})` : ""}` : "—";
    const rows = a.after.map((p) => {
      const was = fmt(before[p.resource]); const will = fmt(p);
      return h("tr", { class: was !== will ? "changed" : "" },
        h("th", { scope: "row" }, p.resource), h("td", {}, was), h("td", {}, will));
    });
    const applicable = !q.fail.length && (q.standby.length || q.moves.length);
    result.replaceChildren(
      h("h2", {}, "What the cluster would do"),
      a.summary.length ? h("ul", { class: "summary" }, a.summary.map((i) => h("li", {},
        i.verb === "Fence" ? `Fence (${i.fence_action}) ${i.resource}: ${i.details}`
          : `${i.verb} ${i.resource} (${i.details})${i.reason ? ` due to ${i.reason}` : ""}${i.blocked ? " — blocked" : ""}`)))
        : h("p", {}, "Nothing: every resource stays where it is."),
      a.reports.length ? h("div", {}, h("p", {}, "The change itself would say:"), messages(a.reports)) : null,
      table(["Resource", "Now", "After"], rows),
      applicable ? h("div", { class: "actions" }, actionMessages(),
        h("button", { type: "button", class: "primary", onclick: async () => {
          if (!window.confirm("Apply this to the cluster?")) return;
          const said = [];
          for (const n of q.standby) {
            const d = await api("POST", `/api/v1/nodes/${n}/standby`, {});
            said.push(...(d.reports.length ? d.reports : [{ severity: "info", message: `${n} in standby` }]));
          }
          for (const m of q.moves) {
            const d = await api("POST", `/api/v1/resources/${encodeURIComponent(m.resource)}/move`,
              { node: m.node, promoted: m.promoted });
            said.push(...d.reports);
          }
          say(said);
        } }, "Apply to the cluster"))
        : h("p", { class: "muted" }, q.fail.length ? "A node failure is only asked, never applied." : ""));
  } },
    checks("fail", "Nodes that lose power"),
    checks("standby", "Nodes put in standby"),
    h("div", { class: "actions" },
      h("label", { for: "move-rsc" }, "Move resource", rscSel),
      h("label", { for: "move-to" }, "to", nodeSel)),
    h("button", { type: "submit", class: "primary" }, "Ask"));
  show(h("h1", {}, "What if"),
    h("p", { class: "muted" }, "The scheduler's answer on a copy of the live configuration: " +
      "nothing changes until you apply it."), form, result);
}

start();

// The status page at `/` of the metrics= listener, in the spirit of HAProxy's stats page: one
// table per virtual service with its reals, their state, weight, failures, last check and a
// row of recent checks. A static page: its script reads ./status (the document of
// `status --json`) and ./checks (the recent checks) every few seconds and redraws in place.
// No build step and nothing loaded from elsewhere (directors have no internet). Text from
// the daemon is set with textContent, never as HTML: a check's reason is the server's words.
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ldirectord-ts status</title>
<style>
body { font: 13px/1.35 system-ui, sans-serif; margin: 0; background: #f4f4f0; color: #222; }
header { background: #2c3e50; color: #fff; padding: 8px 14px; display: flex; gap: 18px; flex-wrap: wrap; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
header .meta { opacity: .85; }
#error { display: none; background: #c0392b; color: #fff; padding: 6px 14px; }
main { padding: 10px 14px; }
section { margin-bottom: 14px; background: #fff; border: 1px solid #ccc; }
section h2 { font-size: 13px; margin: 0; padding: 5px 8px; background: #dde3ea; display: flex; gap: 14px; flex-wrap: wrap; }
section h2 .id { font-weight: 700; }
section h2 .fallback-active { color: #b00; font-weight: 700; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-top: 1px solid #e4e4e4; white-space: nowrap; }
th { font-weight: 600; background: #f0f2f4; }
td.reason { white-space: normal; max-width: 38em; overflow-wrap: anywhere; }
tr.up td.state { background: #7bd67b; }
tr.down td.state { background: #f08080; }
tr.pending td.state { outline: 2px dashed #e67e22; outline-offset: -2px; }
.hist { display: inline-flex; gap: 2px; }
.hist i { display: inline-block; width: 9px; height: 12px; background: #ccc; }
.hist i.u { background: #2ecc71; } .hist i.d { background: #e74c3c; } .hist i.t { background: #8e44ad; }
.summary { font-weight: 600; }
footer { padding: 6px 14px; color: #666; }
</style>
</head>
<body>
<header><h1>ldirectord-ts</h1><span class="meta" id="meta">loading...</span><span class="summary" id="summary"></span></header>
<div id="error"></div>
<main id="virtuals"></main>
<footer>Refreshes every <span id="every">2</span> s. Legend: <span class="hist"><i class="u"></i></span> up <span class="hist"><i class="d"></i></span> down <span class="hist"><i class="t"></i></span> timed out; dashed: IPVS entry waiting to be applied.</footer>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const every = Math.max(1, Number(params.get("refresh")) || 2);
document.getElementById("every").textContent = String(every);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function ago(ms) {
  if (ms === undefined || ms === null || !isFinite(ms)) return "-";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " d";
}
function render(doc, checks) {
  const d = doc.daemon;
  const now = Date.now();
  const meta = d ? d.version + " \\u00b7 " + d.config + " \\u00b7 pid " + d.pid + " \\u00b7 " + d.status + " \\u00b7 up " + ago(now - Date.parse(d.startedAt)) : "not running";
  document.getElementById("meta").textContent = meta;
  const main = document.getElementById("virtuals");
  if (!d) { main.replaceChildren(); return; }
  const virtuals = d.monitor.virtuals;
  let up = 0, total = 0;
  const sections = [];
  for (const v of virtuals) {
    const s = el("section", { "data-virtual": v.id });
    const h = el("h2");
    h.append(el("span", { class: "id" }, v.id), el("span", {}, "service " + v.service), el("span", {}, "checktype " + v.checktype), el("span", {}, "every " + v.checkinterval + " s"));
    const vUp = v.reals.filter((r) => r.up).length;
    h.append(el("span", {}, vUp + "/" + v.reals.length + " up"));
    if (v.fallback) h.append(el("span", { class: v.fallbackActive ? "fallback-active" : "" }, "fallback " + v.fallback + (v.fallbackActive ? " ACTIVE" : "")));
    s.append(h);
    const t = el("table");
    const head = el("tr");
    for (const c of ["real", "state", "weight", "forward", "failures", "last check", "took", "checked", "changed", "reason", "recent checks"]) head.append(el("th", {}, c));
    t.append(head);
    const hv = (checks.reals && checks.reals[v.id]) || {};
    for (const r of v.reals) {
      total++; if (r.up) up++;
      const name = r.address.includes(":") ? "[" + r.address + "]:" + r.port : r.address + ":" + r.port;
      const hist = hv[name] || { checks: [] };
      const last = r.lastCheck;
      const row = el("tr", { class: (r.up ? "up" : "down") + (r.pending ? " pending" : ""), "data-real": name, "data-state": r.up ? "up" : "down" });
      const changed = hist.changedAt !== undefined ? now - hist.changedAt : d.startedAt ? now - Date.parse(d.startedAt) : undefined;
      // An agent (agentport) may keep a real out, or give it another weight.
      const inTable = r.up && (!r.agent || r.agent.allows);
      const weight = inTable ? (r.agent ? r.agent.weight : r.weight) : 0;
      row.append(
        el("td", {}, name),
        el("td", { class: "state" }, r.maintenance ? "MAINT" : !r.up ? "DOWN" : inTable ? "UP" : "AGENT: " + r.agent.state),
        el("td", {}, String(weight) + (weight === r.weight ? "" : " (" + r.weight + ")")),
        el("td", {}, r.forward),
        el("td", {}, r.failcount + "/" + r.failurecount),
        el("td", {}, last ? (last.up ? "up" : last.timedOut ? "timeout" : "down") + " (" + last.kind + ")" : "-"),
        el("td", {}, last ? Math.round(last.durationMs) + " ms" : "-"),
        el("td", {}, last ? ago(now - Date.parse(last.at)) + " ago" : "-"),
        el("td", {}, ago(changed)),
        el("td", { class: "reason" }, last ? last.reason : ""),
      );
      const cell = el("td");
      const strip = el("span", { class: "hist" });
      for (const [at, result, ms] of hist.checks) {
        const word = result === 1 ? "up" : result === 2 ? "timeout" : "down";
        const i = el("i", { class: word[0], title: new Date(at).toLocaleTimeString() + " " + word + " " + ms + " ms" });
        strip.append(i);
      }
      cell.append(strip);
      row.append(cell);
      t.append(row);
    }
    s.append(t);
    sections.push(s);
  }
  main.replaceChildren(...sections);
  document.getElementById("summary").textContent = virtuals.length + " virtual services, " + up + "/" + total + " reals up";
}
async function refresh() {
  const box = document.getElementById("error");
  try {
    const [a, b] = await Promise.all([fetch("status", { cache: "no-store" }), fetch("checks", { cache: "no-store" })]);
    if (!a.ok || !b.ok) throw new Error("HTTP " + (a.ok ? b.status : a.status));
    render(await a.json(), await b.json());
    box.style.display = "none";
    document.body.dataset.updated = String(Date.now());
  } catch (e) {
    box.textContent = "Cannot read the daemon's status: " + e.message + " (retrying)";
    box.style.display = "block";
  }
  setTimeout(refresh, every * 1000);
}
refresh();
</script>
</body>
</html>
`;

// The halls page refreshes itself: the same table from /console/halls.json every 10 s.
"use strict";
(function () {
  const table = document.getElementById("halls");
  if (!table) return;
  const stamp = document.getElementById("refreshed");
  function dev(d) {
    const td = document.createElement("td");
    td.className = "dev";
    if (!d) { td.textContent = "—"; return td; }
    const span = document.createElement("span");
    span.className = d.ok ? "ok" : "bad";
    span.textContent = d.text || (d.ok ? "正常" : "异常");
    td.appendChild(span);
    return td;
  }
  function cell(row, cls, text) {
    const td = row.querySelector("td." + cls);
    if (td) td.textContent = text;
    return td;
  }
  function update(h) {
    const row = table.querySelector('tr[data-code="' + CSS.escape(h.code) + '"]');
    if (!row) return false;
    row.classList.toggle("silent", h.silent);
    row.classList.toggle("problem", h.problems.length > 0);
    const state = row.querySelector("td.state");
    state.textContent = "";
    const s = document.createElement("span");
    s.className = h.online ? "ok" : "bad";
    s.textContent = h.revoked ? "已吊销" : (h.online ? "在线" : "离线");
    state.appendChild(s);
    cell(row, "seen", h.last_seen ? h.silent_min + " 分钟前" : "从未同步");
    cell(row, "outbox", h.outbox_waiting === null ? "—" : String(h.outbox_waiting) +
      (h.outbox_rejected ? " 拒收 " + h.outbox_rejected : ""));
    cell(row, "version", h.app_version || "—");
    const devs = row.querySelectorAll("td.dev");
    [h.board, h.printer, h.voice].forEach(function (d, i) { if (devs[i]) row.replaceChild(dev(d), devs[i]); });
    cell(row, "issued", String(h.issued));
    cell(row, "served", String(h.served));
    cell(row, "waiting", String(h.waiting));
    cell(row, "wait", h.mean_wait_min === null ? "—" : String(h.mean_wait_min));
    return true;
  }
  async function refresh() {
    try {
      const r = await fetch("/console/halls.json", {credentials: "same-origin", cache: "no-store"});
      if (r.status === 401) { location.href = "/console/login"; return; }
      const body = await r.json();
      let missing = false;
      body.halls.forEach(function (h) { if (!update(h)) missing = true; });
      if (missing) { location.reload(); return; }  // a new hall: draw the page again
      stamp.textContent = "已刷新 " + new Date().toLocaleTimeString("zh-CN");
    } catch (e) {
      stamp.textContent = "刷新失败，稍后重试";
    }
  }
  setInterval(refresh, 10000);
})();

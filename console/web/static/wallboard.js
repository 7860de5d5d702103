// The live wallboard (/team/live): follows /team/live/events and redraws what changed.
// Every text from the server goes in through textContent: a transcript is untrusted.
(() => {
  const boardEl = document.getElementById("board");
  if (!boardEl) return;
  const zone = boardEl.dataset.zone;
  const csrf = boardEl.dataset.csrf;
  const agents = document.getElementById("agents");
  const alerts = document.getElementById("alerts");
  const status = document.getElementById("live-status");
  const words = JSON.parse(boardEl.dataset.words); // the page's language, from its catalogs

  const duration = (seconds) => {
    const whole = Math.max(0, Math.round(seconds));
    const pad = (n) => String(n).padStart(2, "0");
    return `${Math.floor(whole / 3600)}:${pad(Math.floor(whole % 3600 / 60))}:${pad(whole % 60)}`;
  };
  const clock = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: zone });
  // The console's clock less the browser's (the demo runs on a simulated day).
  let skew = Date.parse(boardEl.dataset.at) - Date.now();
  const since = (td) => {
    td.textContent = duration((Date.now() + skew - Date.parse(td.dataset.since)) / 1000);
  };
  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };

  function tileRow(tile) {
    const tr = document.createElement("tr");
    tr.id = `agent-${tile.agent_id}`;
    tr.className = `state-${tile.state}`;
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = `/team/agents/${tile.agent_id}`;
    link.textContent = `${tile.code} ${tile.name}`;
    name.append(link);
    const running = cell("", "since");
    if (tile.since) { running.dataset.since = tile.since; since(running); }
    const c = tile.counters;
    const state = (words.states[tile.state] || tile.state)
      + (tile.pause_reason
        ? words.paused_for.replace("%(reason)s", words.pauses[tile.pause_reason] || tile.pause_reason)
        : "");
    tr.append(name, cell(tile.team), cell(state, "state"), withCell(tile), running,
      cell(c.attempts), cell(c.connected), cell(duration(c.talk_s)), cell(c.notes_owed),
      cell(c.flags), cell(c.holds), listenCell(tile));
    return tr;
  }

  // Who the call is with, then its running transcript (newest last), flagged lines marked.
  function withCell(tile) {
    const td = cell(tile.callee);
    if (!tile.transcript.length) return td;
    const list = document.createElement("ol");
    list.className = "running";
    for (const line of tile.transcript) {
      const item = document.createElement("li");
      item.className = `said-${line.speaker}${line.flag ? " flagged" : ""}`;
      const who = document.createElement("span");
      who.className = "who"; who.textContent = words.speakers[line.speaker] || line.speaker;
      item.append(who, ` ${line.text}`);
      if (line.flag) {
        const flag = document.createElement("strong");
        flag.textContent = ` ${words.categories[line.flag] || line.flag}`;
        item.append(flag);
      }
      list.append(item);
    }
    td.append(list);
    return td;
  }

  const MODES = words.modes;
  function listenCell(tile) {
    const td = cell("", "listen");
    if (tile.state === "talking" && tile.attempt_id) td.append(listenForm(tile.attempt_id, MODES));
    else if (tile.state === "paused") td.append(resumeForm(tile.agent_id));
    return td;
  }

  // A form that posts to `action` with the page's CSRF token, holding `buttons`.
  function postForm(className, action, buttons) {
    const form = document.createElement("form");
    form.className = className;
    form.method = "post";
    form.action = action;
    const token = document.createElement("input");
    token.type = "hidden"; token.name = "csrf"; token.value = csrf;
    form.append(token, ...buttons);
    return form;
  }

  function submitButton(label, name, value) {
    const button = document.createElement("button");
    button.type = "submit"; button.textContent = label;
    if (name) { button.name = name; button.value = value; }
    return button;
  }

  function listenForm(attemptId, modes) {
    const buttons = modes.map(([mode, label]) => submitButton(label, "mode", mode));
    return postForm("listen", `/team/live/calls/${attemptId}/listen`, buttons);
  }

  // The lead ends an agent's pause (one who forgot to come back); a plain form post.
  function resumeForm(agentId) {
    return postForm("resume", `/team/live/agents/${agentId}/resume`, [submitButton(words.end_pause)]);
  }

  function putTile(tile) {
    const row = tileRow(tile);
    const old = document.getElementById(row.id);
    if (old) old.replaceWith(row); else agents.append(row);
    agents.querySelectorAll("tr.empty").forEach((e) => e.remove());
  }

  function alertCard(a) {
    const card = document.createElement("article");
    card.id = `alert-${a.id}`;
    card.className = "flag live-alert fresh";
    const head = document.createElement("p");
    const category = document.createElement("strong");
    category.textContent = words.categories[a.category] || a.category;
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = ` · ${clock(a.created_at)} · ${words.speakers[a.speaker] || a.speaker} · ${words.at_s.replace("%(s)s", a.at_s.toFixed(1))}`;
    head.append(category, ` · ${a.agent} `, when);
    const said = document.createElement("blockquote");
    said.textContent = a.utterance;
    card.append(head, said);
    if (a.barge) card.append(listenForm(a.attempt_id, [["barge", words.barge_in]]));
    if (a.seen) { markSeen(card); return card; }
    card.append(postForm("ack", `/team/live/alerts/${a.id}/ack`, [submitButton(words.acknowledge)]));
    return card;
  }

  function markSeen(card) {
    card.classList.add("reviewed");
    card.querySelectorAll("form.ack").forEach((f) => f.remove());
    if (!card.querySelector("p.ok")) {
      const seen = document.createElement("p");
      seen.className = "ok"; seen.textContent = words.acknowledged;
      card.append(seen);
    }
  }

  function putAlert(a) {
    if (document.getElementById(`alert-${a.id}`)) return;
    alerts.querySelectorAll(".empty").forEach((e) => e.remove());
    alerts.prepend(alertCard(a));
  }

  function snapshot(board) {
    skew = Date.parse(board.at) - Date.now();
    agents.replaceChildren(...board.tiles.map(tileRow));
    alerts.replaceChildren(...board.alerts.map(alertCard));
  }

  const on = (source, name, handle) =>
    source.addEventListener(name, (event) => handle(JSON.parse(event.data)));
  const source = new EventSource("/team/live/events");
  on(source, "snapshot", snapshot);
  on(source, "agent", putTile);
  on(source, "agent_gone", (d) => document.getElementById(`agent-${d.agent_id}`)?.remove());
  on(source, "alert", putAlert);
  on(source, "alert_seen", (d) => { const c = document.getElementById(`alert-${d.id}`); if (c) markSeen(c); });
  source.addEventListener("open", () => { status.textContent = words.live; status.dataset.live = "yes"; });
  source.addEventListener("error", () => { status.textContent = words.reconnecting; status.dataset.live = "no"; });

  // Acknowledge without leaving the page; the stream then shows it as seen.
  alerts.addEventListener("submit", (event) => {
    const form = event.target.closest("form.ack");
    if (!form) return;
    event.preventDefault();
    fetch(form.action, {
      method: "POST", headers: { "x-csrf-token": csrf }, body: new URLSearchParams(new FormData(form)),
    }).then((reply) => { if (reply.ok) markSeen(form.closest("article")); });
  });

  // Listening in rings the lead's phone; the page stays, and says what happened.
  const listenIn = (event) => {
    const form = event.target.closest("form.listen");
    if (!form) return;
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    if (event.submitter) body.set("mode", event.submitter.value);
    fetch(form.action, { method: "POST", headers: { "x-csrf-token": csrf }, body })
      .then((reply) => reply.ok ? words.ringing
        : reply.text().then((page) => {
          const found = new DOMParser().parseFromString(page, "text/html").querySelector("main p.error");
          return found ? found.textContent : `HTTP ${reply.status}`;
        }))
      .then((said) => { status.textContent = said; });
  };
  agents.addEventListener("submit", listenIn);
  alerts.addEventListener("submit", listenIn);

  // Running times count here, so a call that goes on costs the server nothing.
  setInterval(() => document.querySelectorAll("td.since[data-since]").forEach(since), 1000);
})();

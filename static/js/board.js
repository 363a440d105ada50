// Unit board and round the hall: one-tap checks, a queue that survives a dropped network,
// night and doorway modes, and an audible cue when new alerts arrive.
//
// What stays on the tablet: localStorage holds the display mode only; sessionStorage holds the
// queue of unsent checks, keyed to the signed-in staff member, with order public ids and the
// check fields only (never a person served's name), beside the staff member's name (who must sign
// in to send it). The queue outlives a session that ends while offline; it is sent under the same
// staff member's next sign-in and only then cleared (issue 11, item 2).
(() => {
  const root = document.querySelector("[data-board]");
  if (!root) return;

  const QUEUE_PREFIX = "pillars.board.queue.";
  const OWNER_PREFIX = "pillars.board.owner.";
  const MODE_KEY = "pillars.board.mode";
  const ZERO = "00000000-0000-0000-0000-000000000000";
  const queueKey = root.dataset.queueKey || "none";
  const storageKey = QUEUE_PREFIX + queueKey;
  const ownerKey = OWNER_PREFIX + queueKey;
  const isRound = root.hasAttribute("data-round");
  const rowsBox = document.querySelector("[data-board-rows]");
  let csrf = "";
  try {
    csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    csrf = "";
  }

  // A link followed while offline shows an offline page, not the browser's error.
  if ("serviceWorker" in navigator && root.dataset.workerUrl) {
    navigator.serviceWorker.register(root.dataset.workerUrl, {scope: "/"}).catch(() => {});
  }

  // --- Display mode (remembered per device; nothing else goes into localStorage) ---------------
  const MODES = ["day", "night", "doorway"];
  const setMode = (mode) => {
    const chosen = MODES.includes(mode) ? mode : "day";
    document.documentElement.dataset.boardMode = chosen;
    for (const button of document.querySelectorAll("[data-mode-button]")) {
      button.setAttribute("aria-pressed", String(button.dataset.modeButton === chosen));
    }
    try {
      localStorage.setItem(MODE_KEY, chosen);
    } catch (error) { /* private mode: the mode is simply not remembered */ }
  };
  let savedMode = "day";
  try {
    savedMode = localStorage.getItem(MODE_KEY) || "day";
  } catch (error) {
    savedMode = "day";
  }
  setMode(savedMode);
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-mode-button]");
    if (button) setMode(button.dataset.modeButton);
  });

  // --- The queue ----------------------------------------------------------------------------------
  const FIELDS = ["client_id", "order", "observed_at", "location", "activity", "safety_status",
    "note", "late_reason"];
  const banner = document.querySelector("[data-queue-banner]");
  const bannerText = document.querySelector("[data-queue-text]");
  const refusals = document.querySelector("[data-refusals]");
  const refusalList = document.querySelector("[data-refusal-list]");
  const lateDialog = document.querySelector("[data-late-dialog]");

  const load = () => {
    try {
      const items = JSON.parse(sessionStorage.getItem(storageKey) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (error) {
      return [];
    }
  };
  let queue = load();
  let signedOut = false;

  const personLabel = (order) => {
    const row = document.querySelector(`[data-order-row="${CSS.escape(order)}"]`);
    return row ? row.dataset.personLabel : "A person served";
  };

  const showRefusal = (item, text) => {
    if (!refusals || !refusalList) return;
    const li = document.createElement("li");
    li.textContent = `${personLabel(item.order)}: ${text} It is not saved as a check yet: the lead on duty has it to record or close.`;
    refusalList.appendChild(li);
    refusals.hidden = false;
  };

  // A queue left by another staff member is not this user's to send: it stays on the tablet,
  // and the board says whose it is and who must sign in to send it.
  const others = document.querySelector("[data-other-queues]");
  const otherList = document.querySelector("[data-other-queue-list]");
  for (let i = 0; i < sessionStorage.length; i += 1) {
    const key = sessionStorage.key(i);
    if (!key || !key.startsWith(QUEUE_PREFIX) || key === storageKey) continue;
    const waiting = (() => {
      try { return JSON.parse(sessionStorage.getItem(key) || "[]").length; } catch (e) { return 0; }
    })();
    const owner = sessionStorage.getItem(OWNER_PREFIX + key.slice(QUEUE_PREFIX.length))
      || "another staff member";
    if (waiting && others && otherList) {
      const li = document.createElement("li");
      li.textContent = `${waiting} check${waiting === 1 ? "" : "s"} recorded by ${owner} `
        + `${waiting === 1 ? "is" : "are"} waiting on this tablet. ${owner} must sign in here to send `
        + `${waiting === 1 ? "it" : "them"}.`;
      otherList.appendChild(li);
      others.hidden = false;
    }
  }

  const rowNote = (order, text, kind) => {
    for (const row of document.querySelectorAll(`[data-order-row="${CSS.escape(order)}"]`)) {
      const note = row.querySelector("[data-row-note]");
      if (note) {
        note.textContent = text;
        note.dataset.kind = kind;
      }
    }
  };

  const save = () => {
    try {
      if (queue.length) {
        sessionStorage.setItem(storageKey, JSON.stringify(queue));
        sessionStorage.setItem(ownerKey, root.dataset.queueOwner || "");
      } else {
        sessionStorage.removeItem(storageKey);
        sessionStorage.removeItem(ownerKey);
      }
    } catch (error) { /* storage full: the in-memory queue still holds the checks */ }
    const waiting = queue.length;
    if (banner && bannerText) {
      banner.hidden = waiting === 0;
      const needReason = queue.filter((item) => item.needs_reason).length;
      let text = `${waiting} check${waiting === 1 ? "" : "s"} waiting to send`;
      if (signedOut) text += ": sign in again to send them";
      else if (needReason) text += ` (${needReason} need${needReason === 1 ? "s" : ""} a reason for the late entry)`;
      else if (!navigator.onLine) text += " when the network is back";
      bannerText.textContent = `${text}.`;
      banner.dataset.waiting = String(waiting);
    }
  };

  let refreshTimer = 0;
  const refreshSoon = () => {
    if (!rowsBox || !window.htmx) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => window.htmx.trigger(document.body, "board-refresh"), 400);
  };

  // The queue drains through ONE request (the API's batch handler, session-signed): each item
  // is answered on its own and a replay of a client id is harmless (issue 13).
  const sendBatch = async (items) => {
    if (!navigator.onLine) return {kind: "network"};
    const checks = items.map((item) => {
      const check = {};
      for (const name of FIELDS) if (item[name]) check[name] = item[name];
      return check;
    });
    let response;
    try {
      response = await fetch(root.dataset.batchUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({checks}),
      });
    } catch (error) {
      return {kind: "network"};
    }
    if (response.type === "opaqueredirect" || response.status === 0) return {kind: "signed-out"};
    // A refusal is JSON. A 401/403 page that is not is the session or its CSRF cookie gone
    // (cookies lost): keep the checks for the next sign-in.
    const json = (response.headers.get("content-type") || "").includes("json");
    if (!json && [401, 403].includes(response.status)) return {kind: "signed-out"};
    let answer = {};
    try {
      answer = await response.json();
    } catch (error) {
      answer = {};
    }
    if (response.ok) return {kind: "answered", answer};
    if (response.status === 422) {
      // One schema-invalid item refuses the batch; its index names it (checks.3.location).
      const bad = new Map();
      for (const [name, messages] of Object.entries(answer.errors || {})) {
        const match = /^checks\.(\d+)\./.exec(name);
        if (match) bad.set(Number(match[1]), `${name.split(".").pop()}: ${(messages || []).join(" ")}`);
      }
      if (bad.size) return {kind: "invalid", bad};
    }
    if ([400, 403, 404, 409, 422].includes(response.status)) {
      return {kind: "refused", text: answer.detail || "The checks were refused."};
    }
    return {kind: "network"}; // a server error: keep the checks and try again later
  };

  // A check the server will not take is handed to the unit's lead (kept server-side with the
  // problem, the lead alerted) rather than dropped; until that request succeeds it waits here.
  const asideKey = "pillars.board.aside." + queueKey;
  let aside = (() => {
    try { return JSON.parse(sessionStorage.getItem(asideKey) || "[]"); } catch (error) { return []; }
  })();
  const saveAside = () => {
    try {
      if (aside.length) sessionStorage.setItem(asideKey, JSON.stringify(aside));
      else sessionStorage.removeItem(asideKey);
    } catch (error) { /* storage full: the in-memory list still holds them */ }
  };
  let asideTimer = 0;
  const flushAside = async () => {
    if (!aside.length || !navigator.onLine || !root.dataset.setAsideUrl) return;
    const sending = aside.slice(0, 100);
    try {
      const response = await fetch(root.dataset.setAsideUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({items: sending}),
      });
      if (response.ok) {
        aside = aside.slice(sending.length);
        saveAside();
        if (aside.length) flushAside();
        return;
      }
    } catch (error) { /* offline: try again below */ }
    clearTimeout(asideTimer);
    asideTimer = setTimeout(flushAside, 15000);
  };
  const setAside = (item, text) => {
    queue = queue.filter((entry) => entry.client_id !== item.client_id);
    const check = {};
    for (const name of FIELDS) if (item[name]) check[name] = item[name];
    aside.push({check, problem: text});
    saveAside();
    flushAside();
    rowNote(item.order, "Not saved: set aside for the lead", "refused");
    showRefusal(item, `set aside for a lead to resolve (${text}).`);
  };

  const syncStatus = document.querySelector("[data-sync-status]");
  const syncedKey = "pillars.board.synced." + queueKey;
  const showSynced = (iso) => {
    if (!syncStatus || !iso) return;
    const at = new Date(iso);
    syncStatus.textContent = `Last sent to the server at ${at.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})}.`;
    syncStatus.hidden = false;
  };
  try { showSynced(sessionStorage.getItem(syncedKey)); } catch (error) { /* no storage */ }

  let flushing = false;
  let retryTimer = 0;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const batch = queue.filter((entry) => !entry.needs_reason);
        if (!batch.length) break;
        const result = await sendBatch(batch);
        if (result.kind === "network" || result.kind === "signed-out") {
          signedOut = result.kind === "signed-out";
          for (const item of batch) rowNote(item.order, "Waiting to send", "waiting");
          clearTimeout(retryTimer);
          retryTimer = setTimeout(flush, 10000);
          break;
        }
        if (result.kind === "invalid") {
          for (const [index, text] of result.bad) if (batch[index]) setAside(batch[index], text);
          save();
          continue; // the rest go in the next request
        }
        if (result.kind === "refused") {
          for (const item of batch) setAside(item, result.text);
          save();
          continue;
        }
        const byId = new Map((result.answer.results || []).map((r) => [r.client_id, r]));
        for (const item of batch) {
          const answered = byId.get(item.client_id);
          const errors = (answered && answered.errors) || {};
          if (answered && (answered.status === "created" || answered.status === "replayed")) {
            queue = queue.filter((entry) => entry.client_id !== item.client_id);
            rowNote(item.order, "✓ Saved", "saved");
          } else if (answered && errors.late_reason && Object.keys(errors).length === 1) {
            item.needs_reason = true;
            item.late_text = errors.late_reason[0];
            rowNote(item.order, "Needs a reason for the late entry", "late");
          } else {
            const text = Object.values(errors).flat().join(" ") || "The check was refused.";
            setAside(item, text);
          }
        }
        if (result.answer.synced_at) {
          try { sessionStorage.setItem(syncedKey, result.answer.synced_at); } catch (error) { /* none */ }
          showSynced(result.answer.synced_at);
        }
        save();
        askReason();
      }
    } finally {
      flushing = false;
      save();
      if (!queue.some((entry) => !entry.needs_reason)) refreshSoon();
    }
  };

  let asking = null;
  const askReason = () => {
    if (!lateDialog || asking) return;
    const item = queue.find((entry) => entry.needs_reason);
    if (!item) return;
    asking = item;
    lateDialog.querySelector("[data-late-text]").textContent =
      `${personLabel(item.order)}: ${item.late_text}`;
    lateDialog.querySelector("textarea").value = "";
    if (typeof lateDialog.showModal === "function") lateDialog.showModal();
  };
  if (lateDialog) {
    lateDialog.querySelector("[data-late-form]").addEventListener("submit", () => {
      const reason = lateDialog.querySelector("textarea").value.trim();
      if (asking && reason) {
        asking.late_reason = reason;
        asking.needs_reason = false;
      }
      asking = null;
      save();
      flush().then(askReason);
    });
    lateDialog.querySelector("[data-late-cancel]").addEventListener("click", () => {
      asking = null;
      lateDialog.close();
    });
  }

  const newId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID() : null);

  const enqueue = (form) => {
    const data = new FormData(form);
    const item = {order: form.dataset.order, observed_at: new Date().toISOString()};
    for (const name of FIELDS) {
      if (name === "order" || name === "observed_at") continue;
      const value = data.get(name);
      if (value) item[name] = String(value);
    }
    // A new id for every observation, made here, so a replay of it is harmless.
    item.client_id = newId() || item.client_id;
    queue.push(item);
    save();
    rowNote(item.order, navigator.onLine ? "Sending…" : "Waiting to send", "waiting");
    flush();
  };

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.one-tap, form.check-form");
    if (!form || !root.contains(form)) return;
    if (!form.checkValidity()) return;
    event.preventDefault();
    enqueue(form);
    const details = form.closest("details");
    if (details) details.open = false;
    if (isRound) advance();
  });

  window.addEventListener("online", () => { signedOut = false; flush(); flushAside(); });
  window.addEventListener("offline", save);
  save();
  if (queue.length) flush();
  flushAside();

  // --- Polling: never while offline, and never under someone filling in a check ----------------
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (!rowsBox || event.detail.elt !== rowsBox) return;
    const busy = rowsBox.querySelector("details[open]") || rowsBox.contains(document.activeElement);
    if (!navigator.onLine || (busy && event.detail.requestConfig.triggeringEvent?.type !== "board-refresh")) {
      event.preventDefault();
    }
  });

  // --- Alerts: a short cue when the count goes up, once the user has touched the page ----------
  let audio = null;
  const wake = () => {
    if (audio) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context) audio = new Context();
  };
  document.addEventListener("pointerdown", wake, {once: true});
  document.addEventListener("keydown", wake, {once: true});
  const beep = () => {
    if (!audio) return;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.value = 0.2;
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.2);
  };
  const alertCount = () => {
    const badge = document.querySelector("[data-alert-count]");
    return badge ? Number(badge.dataset.alertCount || 0) : 0;
  };
  let alerts = alertCount();
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== rowsBox) return;
    const now = alertCount();
    if (now > alerts) beep();
    alerts = now;
    for (const item of queue) rowNote(item.order, "Waiting to send", "waiting");
  });

  // --- Round the hall: one person at a time, tap = check and advance ---------------------------
  const cards = Array.from(document.querySelectorAll("[data-round-card]"));
  const progress = document.querySelector("[data-round-progress]");
  const done = document.querySelector("[data-round-done]");
  let current = 0;
  let checked = 0;
  const show = () => {
    cards.forEach((card, index) => { card.hidden = index !== current; });
    if (current >= cards.length) {
      if (done) {
        done.hidden = false;
        done.querySelector("[data-round-summary]").textContent =
          `${checked} check${checked === 1 ? "" : "s"} recorded for ${cards.length} person${cards.length === 1 ? "" : "s"}.`;
        done.querySelector("a").focus();
      }
      if (progress) progress.textContent = "Round complete.";
      return;
    }
    const card = cards[current];
    if (progress) progress.textContent = `Person ${current + 1} of ${cards.length}: ${card.dataset.personLabel}`;
    const tap = card.querySelector("form.one-tap button, details[open] select, [data-round-skip]");
    if (tap) tap.focus();
  };
  function advance() {
    checked += 1;
    current += 1;
    show();
  }
  if (isRound && cards.length) {
    for (const skip of document.querySelectorAll("[data-round-skip]")) {
      skip.hidden = false;
      skip.addEventListener("click", () => { current += 1; show(); });
    }
    show();
  }
})();

// Pillars page behaviour. No inline script anywhere: the Content Security Policy forbids it.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const box = document.querySelector("[data-htmx-errors]");
  if (box) {
    box.textContent = status === 403 ? "You do not have permission to do that."
      : status === 404 ? "That record is not available."
      : "Something went wrong. Nothing was saved. Try again.";
    box.hidden = false;
  }
});

// Session idle limit. The server ends a session after PILLARS_SESSION_IDLE_MINUTES without a
// request. Typing a long note makes no request, so real input (throttled to once a minute)
// tells the server the person is still here; a screen nobody touches reloads after the limit,
// which takes it back to the sign-in page instead of leaving records on show.
(() => {
  const body = document.body;
  const idleSeconds = Number(body.dataset.idleSeconds || 0);
  const stillHereUrl = body.dataset.stillHereUrl;
  if (!idleSeconds || !stillHereUrl) return;
  let csrf = "";
  try {
    csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    csrf = "";
  }
  let lastInput = Date.now();
  let lastBeat = Date.now();
  const onInput = () => {
    lastInput = Date.now();
    if (lastInput - lastBeat > 60000) {
      lastBeat = lastInput;
      fetch(stillHereUrl, {
        method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf},
      }).catch(() => {});
    }
  };
  for (const name of ["keydown", "pointerdown", "input", "wheel", "touchstart"]) {
    document.addEventListener(name, onInput, {passive: true});
  }
  setInterval(() => {
    if (Date.now() - lastInput > idleSeconds * 1000 + 5000) window.location.reload();
  }, 15000);
})();

// The unit board queues unsent checks in sessionStorage (order ids and check fields, never a
// name). Nothing about persons served may stay on a tablet after sign-out: the queue goes when
// the sign-out form is sent, and on any signed-out page (an idle session that ended).
(() => {
  const clearBoardQueue = () => {
    try {
      for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
        const key = sessionStorage.key(i);
        if (key && key.startsWith("pillars.board.")) sessionStorage.removeItem(key);
      }
    } catch (error) { /* storage unavailable: nothing was stored */ }
  };
  document.addEventListener("submit", (event) => {
    const action = event.target.getAttribute("action") || "";
    if (action.endsWith("/account/sign-out/")) clearBoardQueue();
  });
  if (!document.body.dataset.idleSeconds) clearBoardQueue();
})();

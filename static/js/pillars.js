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

// A fragment that read substance use disorder records under a consent or an emergency grant
// (a section opened, a board refresh) says so in its Part2-Notice header: the page it lands in
// shows the 42 CFR 2.32 notice from then on (a full page shows it from the server).
document.addEventListener("htmx:afterRequest", (event) => {
  const xhr = event.detail.xhr;
  if (!xhr || !xhr.getResponseHeader("Part2-Notice")) return;
  const notice = document.querySelector("[data-part2-notice]");
  if (notice) notice.hidden = false;
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

// The unit board's queue of unsent checks (board.js) is not cleared on a signed-out page: a
// session that ends while offline would lose the checks (issue 11, item 2). It holds order ids
// and check fields, never a person served's name, and is sent under the same staff member's next
// sign-in.

// A polled or htmx request whose session has ended is redirected to the sign-in page: never paste
// that page into the board, say so instead.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  let path = "";
  try {
    path = new URL(xhr.responseURL || "", window.location.href).pathname;
  } catch (error) {
    path = "";
  }
  if (!path.endsWith("/account/sign-in/")) return;
  event.detail.shouldSwap = false;
  const box = document.querySelector("[data-signed-out]") || document.querySelector("[data-htmx-errors]");
  if (box) {
    if (box.hasAttribute("data-htmx-errors")) box.textContent = "You are signed out. Sign in again.";
    box.hidden = false;
  }
});

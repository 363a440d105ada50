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

// The fast ABC form: count buttons and a duration timer. Without script the count and the
// seconds are typed; with it, a tap steps the count and the timer fills in the seconds.
(function () {
  "use strict";

  document.querySelectorAll("[data-count-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("aria-controls"));
      if (!input) return;
      var next = (parseInt(input.value, 10) || 0) + parseInt(button.dataset.countStep, 10);
      input.value = String(Math.max(1, Math.min(500, next)));
    });
  });

  document.querySelectorAll("[data-timer]").forEach(function (button) {
    var input = document.getElementById(button.dataset.timer);
    var status = document.getElementById("timer-status");
    var started = null;
    var ticker = null;
    if (!input) return;
    button.hidden = false;

    function elapsed() {
      return Math.round((Date.now() - started) / 1000);
    }

    button.addEventListener("click", function () {
      if (started === null) {
        started = Date.now();
        button.textContent = "Stop timer";
        button.setAttribute("aria-pressed", "true");
        if (status) status.textContent = "Timing";
        ticker = window.setInterval(function () {
          if (status) status.textContent = "Timing: " + elapsed() + " s";
        }, 1000);
      } else {
        var seconds = (parseInt(input.value, 10) || 0) + elapsed();
        input.value = String(seconds);
        window.clearInterval(ticker);
        started = null;
        button.textContent = "Start timer";
        button.setAttribute("aria-pressed", "false");
        if (status) status.textContent = "Stopped at " + seconds + " s";
      }
    });
  });
})();

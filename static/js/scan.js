// The room-code scanner: the browser's BarcodeDetector where it exists, else the typed code.
(function () {
  "use strict";
  var video = document.getElementById("scan-video");
  var start = document.getElementById("scan-start");
  var status = document.getElementById("scan-status");
  if (!video || !start || !status) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    status.textContent = "This browser cannot read codes with the camera here. Type the code below, or use the tablet's camera app.";
    return;
  }
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  var scanPath = new URL(document.querySelector("form[action]").getAttribute("action"), window.location.href).pathname;
  start.hidden = false;

  function opened(text) {
    var url;
    try { url = new URL(text, window.location.href); } catch (e) { return false; }
    // Only codes of this Pillars server are followed; anything else is reported, never opened.
    if (url.origin !== window.location.origin || url.pathname.indexOf(scanPath) !== 0) return false;
    window.location.assign(url.pathname);
    return true;
  }

  function tick() {
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        if (opened(codes[i].rawValue)) return;
        status.textContent = "That is not a Pillars room code.";
      }
      window.requestAnimationFrame(tick);
    }).catch(function () { window.requestAnimationFrame(tick); });
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      start.hidden = true;
      return video.play();
    }).then(function () {
      status.textContent = "Looking for a code…";
      tick();
    }).catch(function () {
      status.textContent = "The camera could not be opened. Type the code below instead.";
    });
  });
})();

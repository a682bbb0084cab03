// Session limits (issue 22 item 5): warn before the idle timeout or the absolute lifetime ends the session; 继续使用
// counts as activity (the absolute lifetime still ends it). When the time is up, the next request meets the login.
(function () {
  "use strict";
  var body = document.body;
  var endsAt = Date.now() + Number(body.dataset.sessionEndsIn) * 1000;
  var warn = Number(body.dataset.sessionWarn) * 1000;
  var box = document.getElementById("xj-session-warning");
  var left = document.getElementById("xj-session-left");
  var keep = document.getElementById("xj-session-keep");
  if (!box || !left || !keep) return;
  keep.addEventListener("click", function () {
    fetch(body.dataset.sessionKeepalive, { credentials: "same-origin" }).then(function (response) {
      if (response.ok) window.location.reload();
    });
  });
  function tick() {
    var remaining = endsAt - Date.now();
    if (remaining <= 0) {
      window.location.reload();
      return;
    }
    if (remaining <= warn) {
      box.classList.remove("d-none");
      left.textContent = String(Math.ceil(remaining / 1000));
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();

// Small progressive enhancements shared by every page. htmx does the rest.
document.addEventListener("htmx:responseError", function (event) {
  var target = document.querySelector(".messages") || document.querySelector("main");
  var item = document.createElement("div");
  item.className = "msg msg-error";
  item.setAttribute("role", "alert");
  try {
    var body = JSON.parse(event.detail.xhr.responseText);
    item.textContent = typeof body.detail === "string" ? body.detail : "The request was rejected.";
  } catch (e) {
    item.textContent = "The request failed (" + event.detail.xhr.status + ").";
  }
  target.prepend(item);
});

// Idle timeout of page sessions (SESSION_IDLE_MINUTES): a warning with a countdown before the
// server ends the session; "Stay signed in" renews it. At the end the page is reloaded, and the
// server (accounts.middleware) sends it to the sign-in page.
(function () {
  var body = document.body;
  var idle = parseFloat(body.dataset.idleSeconds || "0");
  if (!idle) return;
  var warnAt = parseFloat(body.dataset.idleWarningSeconds || "0");
  var box = document.getElementById("idle-warning");
  var deadline = 0;
  function renew() {
    deadline = Date.now() + idle * 1000;
    if (box) box.hidden = true;
  }
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function tick() {
    var left = (deadline - Date.now()) / 1000;
    if (left <= -1) {  // a second's grace, so that the server's clock has certainly run out too
      window.location.assign(window.location.href);
      return;
    }
    if (box && left <= warnAt) {
      box.hidden = false;
      box.querySelector("[data-idle-countdown]").textContent = String(Math.max(Math.ceil(left), 0));
    }
  }
  if (box) {
    box.querySelector("[data-idle-stay]").addEventListener("click", function () {
      fetch(body.dataset.keepaliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .then(function (response) { if (response.ok) renew(); else window.location.assign(window.location.href); });
    });
  }
  document.addEventListener("htmx:afterRequest", renew);
  renew();
  setInterval(tick, 250);
})();

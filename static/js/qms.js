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

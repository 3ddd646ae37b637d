// Opens and closes the signature dialog (audit/includes/signature_dialog.html). Loaded once per page.
(function () {
  if (window.qmsSignatureDialog) return;
  window.qmsSignatureDialog = true;
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-signature-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-signature-open"));
      if (dialog && typeof dialog.showModal === "function") {
        dialog.showModal();
        var field = dialog.querySelector("[name=intent]");
        if (field) field.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-signature-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });
})();

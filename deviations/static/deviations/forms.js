// Deviation form pickers: a search result fills the picker's text input (which also works typed by hand).
(function () {
  if (window.qmsPickers) return;
  window.qmsPickers = true;

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-picker-pick]");
    if (!option) return;
    var picker = option.closest("[data-picker]");
    var input = picker && picker.querySelector('input[name="' + CSS.escape(option.dataset.pickerTarget) + '"]');
    if (!input) return;
    var value = option.dataset.pickerPick;
    if (picker.hasAttribute("data-picker-multiple")) {
      var values = input.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
      if (values.indexOf(value) === -1) values.push(value);
      input.value = values.join(", ");
    } else {
      input.value = value;
    }
    picker.querySelector(".picker-results").innerHTML = "";
    var search = picker.querySelector(".picker-search");
    if (search) search.value = "";
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  });

  // Enter in a picker's search box searches; it must not submit the report.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("picker-search")) {
      event.preventDefault();
    }
  });

  // A suggestion's "Use" button chooses the suggested value in its field (the reporter decides).
  document.addEventListener("click", function (event) {
    var apply = event.target.closest("[data-suggestion-apply]");
    if (!apply) return;
    var field = document.querySelector('[name="' + CSS.escape(apply.dataset.target) + '"]');
    if (!field) return;
    field.value = apply.dataset.suggestionApply;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();

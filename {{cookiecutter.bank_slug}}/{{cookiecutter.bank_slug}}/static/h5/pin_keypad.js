/* The randomised PIN keypad (templates/h5/_pin_keypad.html): digits go into the hidden field, the dots show how many;
   the field is emptied when the page is hidden or comes back from the history (bfcache), so no PIN stays in it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-testid=pin-pad]").forEach(function (pad) {
    var field = pad.querySelector("input[name=pin]");
    var dots = pad.querySelectorAll(".pin-dot");
    var length = parseInt(pad.getAttribute("data-length"), 10) || 6;
    function show() {
      dots.forEach(function (dot, index) { dot.classList.toggle("pin-dot-on", index < field.value.length); });
    }
    function clear() { field.value = ""; show(); }
    pad.querySelectorAll(".pin-key").forEach(function (key) {
      key.addEventListener("click", function () {
        var action = key.getAttribute("data-action");
        if (action === "clear") { clear(); return; }
        if (action === "back") { field.value = field.value.slice(0, -1); show(); return; }
        if (field.value.length < length) { field.value += key.getAttribute("data-digit"); show(); }
      });
    });
    var form = pad.closest("form");
    if (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(clear, 0);  /* posted once; never left in the page afterwards */
      });
    }
    window.addEventListener("pagehide", clear);
    window.addEventListener("pageshow", clear);
    clear();
  });
})();

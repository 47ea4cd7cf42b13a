/* The inbox's keyboard: j/k move, o open, v or space select, a approve the item, A approve the
 * selection, s skip a gate, r request changes, x cancel (asks first), ? help.
 *
 * Every key presses a link or button the page already has: without JavaScript the same forms
 * and links work by hand. Keys do nothing while typing in a form field.
 */
(function () {
  "use strict";

  var items = Array.prototype.slice.call(document.querySelectorAll("[data-inbox-item]"));
  var help = document.getElementById("inbox-help");
  var current = -1;

  document.querySelectorAll("[data-inbox-help]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", toggleHelp);
  });

  function toggleHelp() {
    if (help) {
      help.hidden = !help.hidden;
    }
  }

  function select(index) {
    if (!items.length) {
      return;
    }
    index = Math.max(0, Math.min(items.length - 1, index));
    if (current >= 0 && items[current]) {
      items[current].classList.remove("is-current");
      items[current].removeAttribute("aria-current");
    }
    current = index;
    var item = items[current];
    item.classList.add("is-current");
    item.setAttribute("aria-current", "true");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function within(selector) {
    return current >= 0 ? items[current].querySelector(selector) : null;
  }

  function typing(target) {
    if (!target || !target.closest) {
      return false;
    }
    return Boolean(target.closest("input, textarea, select, [contenteditable], [contenteditable=''], [contenteditable='true']"))
      && !(target.matches && target.matches("input[type=checkbox]"));
  }

  // A click on an item makes it the current one.
  items.forEach(function (item, index) {
    item.addEventListener("click", function () {
      if (current !== index) {
        select(index);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "Escape" && help && !help.hidden) {
      help.hidden = true;
      return;
    }
    if (key === "?") {
      toggleHelp();
      event.preventDefault();
      return;
    }
    var element;
    switch (key) {
      case "j":
        select(current + 1);
        break;
      case "k":
        select(current < 0 ? 0 : current - 1);
        break;
      case "o":
        element = within("[data-inbox-open]");
        if (element) { element.click(); }
        break;
      case "v":
      case " ":
        element = within("[data-inbox-select]");
        if (element) { element.click(); }
        break;
      case "a":
        element = within("[data-inbox-approve]");
        if (element) { element.click(); }
        break;
      case "A":
        var batch = document.getElementById("inbox-batch");
        if (batch && document.querySelector("[data-inbox-select]:checked")) {
          batch.requestSubmit();
        }
        break;
      case "r":
        element = within("[data-inbox-request-changes]");
        if (element) { element.click(); }
        break;
      case "s":
        element = within("[data-inbox-skip]");
        if (element) {
          element.open = true;
          element.querySelector("textarea").focus();
        }
        break;
      case "x":
        element = within("[data-inbox-cancel]");
        if (element && window.confirm("Cancel " + items[current].dataset.title + "?")) {
          element.closest("form").requestSubmit();
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();

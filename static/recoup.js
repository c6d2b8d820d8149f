// Recoup's few behaviours that HTML and htmx cannot give on their own. Hand-written, no build,
// no dependencies; every page works without it (the server renders the same states).
(function () {
  "use strict";

  // An error summary's link moves focus to its field (or the first control of its group), not
  // only the scroll position.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var control = target.matches("input, select, textarea, button")
      ? target
      : target.querySelector("input:not([type=hidden]), select, textarea, button");
    event.preventDefault();
    (control || target).focus();
    (target.closest("fieldset, .field, tr, section") || target).scrollIntoView({ block: "center" });
  });

  // A checkbox with data-disables="<selector>" takes the matching fields of its row (`tr` or
  // `[data-row]`) out of use while it is ticked: read-only, announced as unavailable and out of
  // the tab order. They stay in the form, so their values are kept.
  function applyDisables(box) {
    var row = box.closest("tr, [data-row]");
    if (!row) return;
    row.querySelectorAll(box.dataset.disables).forEach(function (field) {
      if (box.checked) {
        field.setAttribute("readonly", "");
        field.setAttribute("aria-disabled", "true");
        field.setAttribute("tabindex", "-1");
      } else {
        field.removeAttribute("readonly");
        field.removeAttribute("aria-disabled");
        field.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[type=checkbox][data-disables]")) applyDisables(event.target);
  });

  // A button with data-reveal="<input id>" shows or hides what is typed in that input. It is
  // rendered hidden (it does nothing without this script) and shown here, also in htmx swaps.
  function showRevealButtons(root) {
    root.querySelectorAll("button[data-reveal][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showRevealButtons(document); });
  document.addEventListener("htmx:load", function (event) { showRevealButtons(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-reveal]");
    if (!button) return;
    var input = document.getElementById(button.dataset.reveal);
    if (!input) return;
    var shown = input.type === "password";
    input.type = shown ? "text" : "password";
    button.setAttribute("aria-pressed", shown ? "true" : "false");
  });

  // A live check swaps a field's message slot (`<field>-error`) out of band, never the field
  // itself (the user may be typing in it): keep the field's aria-invalid and aria-describedby
  // in step with its slot here.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var slot = event.target;
    if (!slot || !slot.matches || !slot.matches(".field-error[id$='-error']")) return;
    var field = document.getElementById(slot.id.slice(0, -"-error".length));
    if (!field || !field.matches("input, select, textarea")) return;
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== slot.id;
    });
    if (slot.textContent.trim()) {
      field.setAttribute("aria-invalid", "true");
      described.unshift(slot.id);
    } else {
      field.removeAttribute("aria-invalid");
    }
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
  });

  // A link with data-dialog="<id>" opens that <dialog> instead of going to the page it links to
  // (the page is what works without JavaScript); a button with data-close-dialog closes its own.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("a[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) closer.closest("dialog").close();
  });
})();

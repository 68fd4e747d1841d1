// The console's only script besides htmx. It runs under a Content-Security-
// Policy without 'unsafe-inline', so behaviour is attached here, not in markup.
(function () {
  "use strict";

  // A dialog fragment swapped into #dialog opens as a modal <dialog>: the
  // browser then traps focus and closes it on Escape. Focus goes back to the
  // control that opened it.
  let opener = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.target && e.detail.target.id === "dialog") opener = document.activeElement;
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target) return; // a history restore swaps without a target
    const dlg = e.detail.target.querySelector && e.detail.target.querySelector("dialog");
    if (e.detail.target.id === "dialog" && dlg && !dlg.open) {
      dlg.addEventListener("close", function () {
        dlg.remove();
        if (opener && document.body.contains(opener)) opener.focus();
      });
      dlg.showModal();
      const first = dlg.querySelector("[autofocus], input:not([type=hidden]), select, textarea, button");
      if (first) first.focus();
    }
  });
  // Empty filters stay out of the address bar and the request.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "get") return;
    const params = e.detail.parameters;
    const keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (k) {
      const v = params instanceof FormData ? params.get(k) : params[k];
      if (v === "") params instanceof FormData ? params.delete(k) : delete params[k];
    });
  });
  // A form's redirect swaps in a new #main: the dialog it came from is done.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && (e.detail.target.id === "main" || e.detail.target.tagName === "MAIN")) {
      document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    }
  });
  // A failed htmx request is not swapped in: show its message in a notice
  // at the top of the page instead, so the person knows what happened.
  function notice(message) {
    let box = document.getElementById("notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "notice";
      box.className = "toast";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = message;
    clearTimeout(box.hideTimer);
    box.hideTimer = setTimeout(function () { box.remove(); }, 8000);
  }
  document.addEventListener("htmx:responseError", function (e) {
    const doc = new DOMParser().parseFromString(e.detail.xhr.responseText || "", "text/html");
    const msg = doc.querySelector("[data-error]");
    notice(msg ? msg.textContent : "Something went wrong. Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    notice("The console cannot be reached. Check the connection and try again.");
  });
  // Buttons marked data-close close their dialog without a request.
  document.addEventListener("click", function (e) {
    const btn = e.target.closest("[data-close]");
    if (btn) {
      const dlg = btn.closest("dialog");
      if (dlg) { e.preventDefault(); dlg.close(); }
    }
  });
  // A control marked data-submit-on-change submits its form when changed
  // (the data-center switcher), so it works without a submit button.
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-submit-on-change]")) e.target.form.requestSubmit();
  });
  // Elements marked data-autohide (flash messages) leave after a while.
  document.addEventListener("htmx:load", function (e) {
    e.detail.elt.querySelectorAll && e.detail.elt.querySelectorAll("[data-autohide]").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 6000);
    });
  });
  // A table wider than its box scrolls in it (app.css): the box then takes
  // the keyboard focus, so that the arrow keys scroll it, and is named like
  // the section it is in, so that a screen reader says what it holds.
  function markScrollBoxes() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (box.hasAttribute("tabindex")) return;
        box.setAttribute("tabindex", "0");
        const named = box.closest("[aria-labelledby], [aria-label]");
        if (named) {
          box.setAttribute("role", "group");
          if (named.hasAttribute("aria-labelledby")) box.setAttribute("aria-labelledby", named.getAttribute("aria-labelledby"));
          else box.setAttribute("aria-label", named.getAttribute("aria-label"));
        }
      } else if (box.hasAttribute("tabindex")) {
        ["tabindex", "role", "aria-labelledby", "aria-label"].forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }
  document.addEventListener("htmx:load", markScrollBoxes);
  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollBoxes, 150);
  });
})();

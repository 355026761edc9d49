/*
 * Never lose what an officer typed: unsaved answers are kept in this browser and put back.
 *
 * Why the browser and not a server-side autosave: the moment that matters is when the session
 * has already ended (idle timeout) or the deadline has passed, and then no request to the server
 * can save anything. The browser keeps the form (localStorage, key = round + organisation + user,
 * from the form's data-keep-key) on every change; a successful save clears it.
 *
 * How a save is recognised without the server saying so: on submit the kept entry is marked
 * `submitted` with the revision it was typed on. When the questionnaire opens again:
 * - marked submitted and the revision moved on: the save went through, the entry is dropped;
 * - same revision: nothing was saved (session ended, CSRF failure, validation error): the kept
 *   answers are put back, with a notice and 「破棄する」;
 * - not submitted and the revision moved on: someone saved since (another screen, an uploaded
 *   sheet): nothing is put back by itself; the notice offers to restore or discard.
 * Leaving the page with unsaved changes asks first (beforeunload). Signing out on purpose
 * discards every kept form (portal.js).
 */
(function () {
  "use strict";

  var form = document.getElementById("questionnaire");
  var notice = document.getElementById("kept-notice");
  var State = window.PortalFormState;
  if (!form || !notice || !State || !form.getAttribute("data-keep-key")) { return; }
  var KEY = "portal-draft:" + form.getAttribute("data-keep-key");
  var KEEP_MS = 14 * 24 * 60 * 60 * 1000; // an entry older than two weeks is dropped unread
  var initial = State.snapshot(form); // the answers as the server rendered them
  var submitting = false;
  var signingOut = false;
  var timer = null;

  function revision() {
    var field = form.elements.namedItem("base_revision");
    return field ? field.value : "";
  }

  function read() {
    try {
      var entry = JSON.parse(localStorage.getItem(KEY) || "null");
      if (entry && entry.values && Date.now() - entry.at < KEEP_MS) { return entry; }
    } catch (e) { /* unreadable: treated as nothing kept */ }
    forget();
    return null;
  }

  function write(entry) {
    try { localStorage.setItem(KEY, JSON.stringify(entry)); } catch (e) { /* storage full or off */ }
  }

  function forget() {
    try { localStorage.removeItem(KEY); } catch (e) { /* storage off */ }
  }

  function dirty() {
    return !State.same(State.snapshot(form), initial);
  }

  function keep(submitted) {
    if (!dirty()) {
      if (!submitted) { forget(); }
      return;
    }
    write({ values: State.snapshot(form), revision: revision(), at: Date.now(), submitted: submitted });
  }

  function keepSoon() {
    clearTimeout(timer);
    timer = setTimeout(function () { keep(false); }, 300);
  }

  function timeText(at) {
    var d = new Date(at);
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + d.getHours() + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function showNotice(mode, entry) {
    notice.querySelectorAll("[data-kept-mode]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kept-mode") !== mode;
    });
    notice.querySelectorAll("[data-kept-time]").forEach(function (el) { el.textContent = timeText(entry.at); });
    notice.hidden = false;
  }

  function putBack(values) {
    State.apply(form, values);
    form.dispatchEvent(new CustomEvent("portal:form-restored"));
  }

  function onOpen() {
    var entry = read();
    if (!entry) { return; }
    var moved = entry.revision !== revision();
    if (entry.submitted && moved) { forget(); return; }
    if (State.same(entry.values, initial)) { forget(); return; }
    if (moved) {
      showNotice("offer", entry);
      return;
    }
    putBack(entry.values);
    write({ values: entry.values, revision: entry.revision, at: entry.at, submitted: false });
    showNotice("restored", entry);
  }

  notice.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kept-action]");
    if (!button) { return; }
    var entry = read();
    if (button.getAttribute("data-kept-action") === "restore" && entry) {
      putBack(entry.values);
      write({ values: entry.values, revision: revision(), at: entry.at, submitted: false });
      showNotice("restored", entry);
    } else {
      putBack(initial);
      forget();
      notice.querySelectorAll("[data-kept-mode]").forEach(function (el) {
        el.hidden = el.getAttribute("data-kept-mode") !== "discarded";
      });
    }
    var focusTarget = notice.querySelector("[data-kept-mode]:not([hidden]) [data-kept-focus]");
    if (focusTarget) { focusTarget.focus(); }
  });

  form.addEventListener("input", keepSoon);
  form.addEventListener("change", keepSoon);
  form.addEventListener("portal:form-updated", keepSoon);
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
    keep(true);
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-discards-kept-answers]")) { signingOut = true; clearTimeout(timer); }
  });
  window.addEventListener("pagehide", function () {
    if (!submitting && !signingOut) { clearTimeout(timer); keep(false); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && dirty()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Warn while the deadline nears: after it no save is possible (the answers stay kept here).
  var deadlineBox = document.getElementById("deadline-warning");
  if (deadlineBox) {
    var deadline = Date.parse(deadlineBox.getAttribute("data-deadline"));
    var warnMs = Number(deadlineBox.getAttribute("data-warn-minutes")) * 60 * 1000;
    var left = deadlineBox.querySelector("[data-deadline-left]");
    var checkDeadline = function () {
      var ms = deadline - Date.now();
      if (isNaN(deadline) || ms > warnMs) { return; }
      var text = ms <= 0 ? "0分" : (ms >= 60000 ? Math.ceil(ms / 60000) + "分" : Math.ceil(ms / 1000) + "秒");
      if (left.textContent !== text) { left.textContent = text; }
      deadlineBox.hidden = false;
    };
    setInterval(checkDeadline, 1000);
    checkDeadline();
  }

  onOpen();
})();

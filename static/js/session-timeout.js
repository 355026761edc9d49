/*
 * Warn before the idle timeout ends the session, and let the user stay signed in.
 *
 * The server renders #session-warning with the seconds the session has left (data-seconds-left:
 * the idle limit, counted from its last renewal (at most a minute old), or the rest of the 12-hour limit) and how long before
 * the end to warn (data-warning-seconds). 「ログインを続ける」 POSTs to data-extend-url, which
 * renews the session and answers with the new seconds left. Other tabs of the portal renew the
 * same session: each page tells the others through localStorage, so one tab's warning does not
 * fire while the user works in another.
 */
(function () {
  "use strict";

  var box = document.getElementById("session-warning");
  if (!box) { return; }
  var warning = box.querySelector("[data-session-state='warning']");
  var expired = box.querySelector("[data-session-state='expired']");
  var countdown = box.querySelector("[data-countdown]");
  var extendButton = box.querySelector("[data-session-extend]");
  var warnBefore = Number(box.getAttribute("data-warning-seconds")) * 1000;
  var CLOCK_KEY = "portal-session-ends-at";
  var endsAt = Date.now() + Number(box.getAttribute("data-seconds-left")) * 1000;
  var returnFocus = null;
  var dismissedUntil = 0;
  var expiredTold = false;

  function setEndsAt(value, tell) {
    endsAt = value;
    dismissedUntil = 0;
    expiredTold = false;
    if (tell) {
      try { localStorage.setItem(CLOCK_KEY, String(value)); } catch (e) { /* storage off: this tab only */ }
    }
    tick();
  }

  function remainingText(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) { return "約" + Math.ceil(seconds / 60) + "分"; }
    return seconds + "秒";
  }

  function show(state) {
    var opening = box.hidden;
    warning.hidden = state !== "warning";
    expired.hidden = state !== "expired";
    box.hidden = false;
    box.setAttribute("data-state", state);
    if (opening) {
      returnFocus = document.activeElement;
    }
    if (opening || state === "expired") {
      var target = state === "warning" ? extendButton : expired.querySelector("[data-session-login]");
      if (target && document.activeElement !== target) { target.focus(); }
    }
  }

  function hide() {
    if (box.hidden) { return; }
    box.hidden = true;
    box.removeAttribute("data-state");
    if (returnFocus && document.contains(returnFocus)) { returnFocus.focus(); }
    returnFocus = null;
  }

  function tick() {
    var left = endsAt - Date.now();
    if (left <= 0) {
      show("expired");
      if (!expiredTold) {
        expiredTold = true;
        document.dispatchEvent(new CustomEvent("portal:session-expired"));
      }
    } else if (left <= warnBefore && Date.now() >= dismissedUntil) {
      var text = remainingText(left);
      if (countdown.textContent !== text) { countdown.textContent = text; }
      show("warning");
    } else {
      hide();
    }
  }

  function extend() {
    extendButton.disabled = true;
    fetch(box.getAttribute("data-extend-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": box.getAttribute("data-csrf-token"), "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok && result.body.signed_in) {
        setEndsAt(Date.now() + result.body.seconds_left * 1000, true);
      } else {
        setEndsAt(Date.now(), false);
      }
    }).catch(function () {
      // The network failed: the session may still be alive; keep warning with the same clock.
      tick();
    }).then(function () { extendButton.disabled = false; });
  }

  // Signing out on purpose discards the answers kept in this browser (answer-keeper.js).
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("[data-discards-kept-answers]")) { return; }
    try {
      Object.keys(localStorage).filter(function (key) { return key.indexOf("portal-draft:") === 0; })
        .forEach(function (key) { localStorage.removeItem(key); });
    } catch (e) { /* storage off: nothing kept */ }
  }, true);

  extendButton.addEventListener("click", extend);
  box.addEventListener("keydown", function (event) {
    // Escape closes the warning until the session actually ends (the user chose to ignore it).
    if (event.key === "Escape" && box.getAttribute("data-state") === "warning") {
      dismissedUntil = endsAt;
      hide();
    }
  });
  window.addEventListener("storage", function (event) {
    if (event.key === CLOCK_KEY && event.newValue) { setEndsAt(Number(event.newValue), false); }
  });
  try { localStorage.setItem(CLOCK_KEY, String(endsAt)); } catch (e) { /* storage off */ }
  setInterval(tick, 1000);
  tick();
})();

/*
 * The questionnaire's live branching and indicators.
 *
 * Knows no question number: the rules come from the survey definition, rendered by the server
 * as JSON (#questionnaire-rules). Applicability is computed as survey/engine/branching.py does:
 * walk the items in order; an item's go-to jumps ahead; `only_if` and `org_kinds` exclude; at a
 * branching item still unanswered the walk forks over every option. An item on every path is
 * applicable (shown), on no path skipped (hidden, its answers cleared with a notice), on some
 * paths pending (hidden until the answer it depends on is given). The server re-checks all.
 */
(function () {
  "use strict";

  var rulesNode = document.getElementById("questionnaire-rules");
  var form = document.getElementById("questionnaire");
  if (!rulesNode || !form) { return; }
  var rules = JSON.parse(rulesNode.textContent);
  var items = rules.items;
  var byId = {};
  items.forEach(function (item) {
    item.codes = item.options.map(function (o) { return o.code; });
    byId[item.id] = item;
  });
  var branching = {};
  rules.branching.forEach(function (id) { branching[id] = true; });

  var APPLICABLE = "applicable", PENDING = "pending", SKIPPED = "skipped";

  // --- reading the form -------------------------------------------------------------------

  function inputs(name) {
    return Array.prototype.slice.call(form.querySelectorAll("[name='" + name + "']"));
  }

  function readAnswers() {
    var answers = {};
    items.forEach(function (item) {
      var checked = inputs(item.name).filter(function (el) { return el.checked; })
        .map(function (el) { return el.value; });
      if (item.kind === "marks") {
        if (checked.length) { answers[item.id] = checked.sort(function (a, b) { return a - b; }); }
      } else if (checked.length) {
        answers[item.id] = checked[0];
      }
      item.followups.forEach(function (f) {
        var el = form.querySelector("[name='" + f.name + "']");
        if (el && el.value.trim()) { answers[f.key] = el.value.trim(); }
      });
    });
    return answers;
  }

  // --- the engine's walk --------------------------------------------------------------------

  function conditionHolds(cond, value) {
    if (value === undefined || value === null) { return false; }
    if (byId[cond.item].kind === "marks") {
      var marked = Array.isArray(value) ? value : [];
      return marked.some(function (c) { return cond.any_of.indexOf(c) >= 0; });
    }
    return cond.any_of.indexOf(value) >= 0;
  }

  function excluded(item, chosen) {
    if (item.org_kinds.length && item.org_kinds.indexOf(rules.org_kind) < 0) { return true; }
    return Boolean(item.only_if) && !conditionHolds(item.only_if, chosen[item.only_if.item]);
  }

  function gotoOf(item, code) {
    var option = item.options.filter(function (o) { return o.code === code; })[0];
    return option && option.goto ? option.goto : null;
  }

  function copy(obj) {
    var out = {};
    Object.keys(obj).forEach(function (k) { out[k] = obj[k]; });
    return out;
  }

  function walk(answers, start, trace, jump, out) {
    for (var index = start; index < items.length; index++) {
      var item = items[index];
      if (jump !== null && item.id !== jump) { continue; }
      jump = null;
      if (excluded(item, trace.chosen)) { continue; }
      trace.reached[item.id] = true;
      if (!branching[item.id]) { continue; }
      var given = answers[item.id];
      var codes = item.codes.indexOf(given) >= 0 ? [given] : item.codes.slice();
      for (var n = 1; n < codes.length; n++) {
        var chosen = copy(trace.chosen);
        chosen[item.id] = codes[n];
        walk(answers, index + 1, { reached: copy(trace.reached), chosen: chosen }, gotoOf(item, codes[n]), out);
      }
      trace.chosen[item.id] = codes[0];
      jump = gotoOf(item, codes[0]);
    }
    out.push(trace);
  }

  function itemStatus(answers) {
    var paths = [];
    walk(answers, 0, { reached: {}, chosen: {} }, null, paths);
    var status = {};
    items.forEach(function (item) {
      var hits = paths.filter(function (p) { return p.reached[item.id]; }).length;
      status[item.id] = hits === paths.length ? APPLICABLE : (hits === 0 ? SKIPPED : PENDING);
    });
    return status;
  }

  function followupStatus(answers, status) {
    var out = {};
    items.forEach(function (item) {
      item.followups.forEach(function (f) {
        var value = answers[item.id];
        var values = Array.isArray(value) ? value : (value ? [value] : []);
        if (status[item.id] === SKIPPED) { out[f.key] = SKIPPED; }
        else if (!values.length) { out[f.key] = PENDING; }
        else if (!values.some(function (v) { return f.when.indexOf(v) >= 0; })) { out[f.key] = SKIPPED; }
        else { out[f.key] = status[item.id]; }
      });
    });
    return out;
  }

  // --- applying it to the page ----------------------------------------------------------------

  function clearItem(item) {
    var had = false;
    inputs(item.name).forEach(function (el) { if (el.checked) { had = true; el.checked = false; } });
    return had;
  }

  function clearFollowup(f) {
    var el = form.querySelector("[name='" + f.name + "']");
    if (el && el.value.trim()) { el.value = ""; return true; }
    return false;
  }

  /** Clear answers to skipped items and follow-ups until stable; returns the cleared labels. */
  function clearSkipped() {
    var cleared = [];
    for (;;) {
      var answers = readAnswers();
      var status = itemStatus(answers);
      var fstatus = followupStatus(answers, status);
      var changed = false;
      items.forEach(function (item) {
        if (status[item.id] === SKIPPED && clearItem(item)) { cleared.push(item.label); changed = true; }
        item.followups.forEach(function (f) {
          if (fstatus[f.key] === SKIPPED && clearFollowup(f)) { cleared.push(f.label); changed = true; }
        });
      });
      if (!changed) { return { cleared: cleared, answers: answers, status: status, fstatus: fstatus }; }
    }
  }

  function show(node, visible) {
    if (node) { node.hidden = !visible; }
  }

  function render(state) {
    items.forEach(function (item) {
      show(document.getElementById("item-" + item.id), state.status[item.id] === APPLICABLE);
      item.followups.forEach(function (f) {
        show(form.querySelector("[data-followup='" + cssEscape(f.key) + "']"), state.fstatus[f.key] === APPLICABLE);
      });
    });
    form.querySelectorAll("[data-note-for]").forEach(function (note) {
      var input = document.getElementById(note.getAttribute("data-note-for"));
      show(note, input && input.checked);
    });
    renderIndicators(state);
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["\\]/g, "\\$&");
  }

  function renderIndicators(state) {
    var infoMissing = rules.respondent.some(function (name) {
      var el = form.querySelector("[name='" + name + "']");
      return !el || !el.value.trim();
    });
    var unanswered = items.some(function (item) {
      var s = state.status[item.id];
      return s === PENDING || (s === APPLICABLE && state.answers[item.id] === undefined);
    }) || items.some(function (item) {
      return item.followups.some(function (f) {
        return f.required && state.fstatus[f.key] === APPLICABLE && state.answers[f.key] === undefined;
      });
    });
    setIndicator("info_missing", infoMissing);
    setIndicator("unanswered", unanswered);
  }

  function setIndicator(key, on) {
    var el = document.querySelector("[data-indicator='" + key + "']");
    if (!el) { return; }
    var text = el.getAttribute(on ? "data-on" : "data-off");
    if (el.textContent !== text) { el.textContent = text; }
    el.classList.toggle("indicator-on", on);
    el.classList.toggle("indicator-off", !on);
  }

  /**
   * Say which answers branching just cleared, with 「元に戻す」: it puts back the form as it was
   * before the change (the answer that caused the clearing too, or it would clear them again).
   */
  function announce(labels, before, changed) {
    var region = document.getElementById("cleared-notice");
    if (!region || !labels.length) { return; }
    var box = document.createElement("div");
    box.className = "alert alert-warning d-flex flex-wrap align-items-center gap-2";
    var text = document.createElement("span");
    text.textContent = rules.cleared_notice.replace("{labels}", labels.join("、"));
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "btn btn-outline-secondary btn-sm";
    undo.textContent = rules.undo_label;
    undo.setAttribute("data-testid", "undo-cleared");
    undo.addEventListener("click", function () { restoreBefore(before, changed); });
    box.append(text, undo);
    region.replaceChildren(box);
  }

  function restoreBefore(before, changed) {
    window.PortalFormState.apply(form, before);
    refresh();
    var region = document.getElementById("cleared-notice");
    var box = document.createElement("div");
    box.className = "alert alert-info";
    box.textContent = rules.undone_notice;
    region.replaceChildren(box);
    if (changed && changed.type === "radio") {
      // Focus the answer now chosen in that question (the one the change had replaced).
      changed = inputs(changed.name).filter(function (el) { return el.checked; })[0] || changed;
    }
    if (changed && document.contains(changed)) { changed.focus(); }
    form.dispatchEvent(new CustomEvent("portal:form-updated"));
  }

  /** Show and hide for the answers as they are now, clearing nothing. */
  function refresh() {
    var answers = readAnswers();
    var status = itemStatus(answers);
    render({ answers: answers, status: status, fstatus: followupStatus(answers, status) });
    lastValues = window.PortalFormState.snapshot(form);
  }

  var lastValues = window.PortalFormState.snapshot(form);

  function update(event) {
    var before = lastValues;
    var state = clearSkipped();
    render(state);
    announce(state.cleared, before, event && event.target);
    lastValues = window.PortalFormState.snapshot(form);
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type='text'], input[type='email'], input[type='tel'], textarea, select")) {
      var answers = readAnswers();
      var status = itemStatus(answers);
      renderIndicators({ answers: answers, status: status, fstatus: followupStatus(answers, status) });
      lastValues = window.PortalFormState.snapshot(form);
    }
  });
  // Answers put back from the browser's keeping (answer-keeper.js) were kept consistent already.
  form.addEventListener("portal:form-restored", refresh);
  // The first render only shows and hides: answers the server kept stay as they are.
  refresh();
})();

/*
 * What a form holds, as a plain object {field name: [values]}, and putting it back.
 *
 * Shared by the questionnaire's undo (questionnaire.js) and the keeping of unsaved answers in
 * the browser (answer-keeper.js). Only the form's own fields count (form.elements: inputs linked
 * to another form by the form= attribute are not in it); files, buttons, the CSRF token and the
 * base revision are left out.
 */
(function () {
  "use strict";

  var SKIP = { csrfmiddlewaretoken: true, base_revision: true };

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !SKIP[el.name] && !el.disabled
        && ["submit", "button", "reset", "file", "image"].indexOf(el.type) < 0;
    });
  }

  function snapshot(form) {
    var values = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name] = values[el.name] || [];
        if (el.checked) { values[el.name].push(el.value); }
      } else {
        values[el.name] = [el.value];
      }
    });
    return values;
  }

  function apply(form, values) {
    fields(form).forEach(function (el) {
      var given = values[el.name];
      if (!given) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = given.indexOf(el.value) >= 0;
      } else {
        el.value = given[0] || "";
      }
    });
  }

  function canonical(values) {
    return JSON.stringify(Object.keys(values).sort().map(function (name) {
      return [name, values[name].slice().sort()];
    }));
  }

  function same(a, b) {
    return canonical(a) === canonical(b);
  }

  window.PortalFormState = { snapshot: snapshot, apply: apply, same: same };
})();

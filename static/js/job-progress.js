/* Progress of a background job (answer-sheet zip and import, aggregate workbook, reminders).
 * The element marked data-job-progress carries data-status-url (the job's status JSON) and
 * data-finished; this polls the JSON, updates #job-status, #job-count and the <progress> bar,
 * and reloads the page once the job has finished so that its full result shows. */
(function () {
  var box = document.querySelector("[data-job-progress]");
  if (!box || box.dataset.finished === "1") { return; }
  var bar = box.querySelector("progress");

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }

  function update(s) {
    if (bar) {
      bar.value = s.percent;
      bar.textContent = s.percent + "%";
    }
    setText("job-percent", s.percent + "%");
    setText("job-status", s.status_label);
    setText("job-count", s.progress + " / " + s.total);
    if (s.finished || s.status === "done" || s.status === "failed") { window.location.reload(); return; }
    window.setTimeout(poll, 1000);
  }

  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 500);
})();

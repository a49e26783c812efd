// A second click on a submit button while its form is on its way does nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  // Signing takes seconds: say what is happening, politely, instead of only greying the button.
  var busy = form.querySelector(".busy");
  if (busy && event.submitter && event.submitter.dataset.busy) { busy.textContent = event.submitter.dataset.busy; }
  // Disabled only after the browser has taken the clicked button's name into the form data.
  setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});

// A running audit's page asks for its progress every two seconds and changes only the words that changed,
// which the polite live region reads out; when the job has finished, the page loads once with the results.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-poll]");
  if (!box) { return; }
  var state = box.querySelector("[data-poll-state]");
  var progress = box.querySelector("[data-poll-progress]");
  var labels = { queued: "Waiting to start", running: "Running" };
  function poll() {
    fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        if (!(job.status in labels)) { window.location.reload(); return; }
        if (state.textContent !== labels[job.status]) { state.textContent = labels[job.status]; }
        var words = job.progress || "starting…";
        if (progress.textContent !== words) { progress.textContent = words; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
});

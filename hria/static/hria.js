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

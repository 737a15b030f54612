/* Behaviour of every page. Inline event-handler attributes do not run under the
   Content-Security-Policy, so elements ask for it with data attributes instead. */
document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
  field.addEventListener("change", function () { field.form.submit(); });
});

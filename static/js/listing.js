// Listing pages: apply a filter or sort as soon as it changes, and show the filters opened on
// wide screens. The page works the same without this file (a GET form with a submit button).
"use strict";

(() => {
  const form = document.getElementById("listing-filters");
  if (!form) {
    return;
  }
  document.documentElement.classList.add("js-autosubmit");
  document.addEventListener("change", (event) => {
    const control = event.target.closest("[data-autosubmit]");
    if (control && control.form === form) {
      form.requestSubmit();
    }
  });
  // Keep shared URLs short: leave out empty fields and the default sort.
  form.addEventListener("formdata", (event) => {
    const sort = document.getElementById("listing-sort");
    for (const [name, value] of [...event.formData.entries()]) {
      if (value === "" || (name === "sort" && sort && value === sort.dataset.default)) {
        event.formData.delete(name);
      }
    }
  });
  const panel = document.getElementById("listing-filters-panel");
  if (panel && window.matchMedia("(min-width: 768px)").matches) {
    panel.open = true;
  }
})();

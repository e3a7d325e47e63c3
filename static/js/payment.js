// The order page's gateway payment: copy buttons, and a live status that reloads the page when
// the payment lands or closes. Without JavaScript the page refreshes itself (noscript meta).
(function () {
  "use strict";
  document.querySelectorAll(".copy-button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () {
          button.classList.add("copied");
          setTimeout(function () { button.classList.remove("copied"); }, 1500);
        });
      }
    });
  });
  // The counter: a paid QRIS finishes the sale by itself.
  var finish = document.querySelector("form[data-auto-submit]");
  if (finish) finish.submit();
  var box = document.querySelector(".gateway-payment[data-status-url]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function check() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        // An order answers {status, paid}; the counter's QRIS answers {status} only.
        var done = state && (state.paid !== undefined
          ? state.paid || state.status !== "pending_payment"
          : state.status !== "pending");
        if (done) {
          window.location.reload();
          return;
        }
        setTimeout(check, 3000);
      })
      .catch(function () { setTimeout(check, 6000); });
  }
  setTimeout(check, 3000);
})();

// Counts one view of the product page for the vendor's insights: a daily number per product,
// nothing about the visitor (storefront/catalog/interest.py). Sent once the page is shown, so
// it counts pages served from the cache too.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.seenUrl;
  if (!url || !navigator.sendBeacon) {
    return;
  }
  function send() {
    navigator.sendBeacon(url);
  }
  if (document.visibilityState === "prerender") {
    document.addEventListener("visibilitychange", send, { once: true });
  } else {
    send();
  }
})();

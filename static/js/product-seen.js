// Counts one view of the product page for the vendor's insights: a daily number per product,
// nothing about the visitor (storefront/catalog/interest.py). Sent once the page is shown, so
// it counts pages served from the cache too. A page opened by a shared link passes on its
// campaign parameters (utm_source, utm_campaign), so the link's visit is counted as well; a
// vendor's page (data-campaign-only) sends a beacon only then.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.seenUrl;
  if (!url || !navigator.sendBeacon) {
    return;
  }
  var page = new URLSearchParams(window.location.search);
  var campaign = new URLSearchParams();
  ["utm_source", "utm_campaign"].forEach(function (name) {
    var value = page.get(name);
    if (value) {
      campaign.set(name, value.slice(0, 40));
    }
  });
  if (campaign.has("utm_source")) {
    url += (url.indexOf("?") === -1 ? "?" : "&") + campaign.toString();
  } else if (script.dataset.campaignOnly) {
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

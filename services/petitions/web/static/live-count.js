// Progressive enhancement: keep the petition's signature count current while the page is open.
// Without JavaScript the count is the one at render time; reload the page to see a newer one.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var shown = document.getElementById("live-count");
  if (!shown || !window.fetch || !window.Intl) { return; }
  var source = shown.getAttribute("data-source");
  var lang = document.documentElement.lang || "fr";
  var format = new Intl.NumberFormat(lang);

  function words(count) {
    var one = lang === "fr" ? count <= 1 : count === 1;
    var template = shown.getAttribute(one ? "data-one" : "data-other");
    return template.replace("{count}", format.format(count));
  }

  function refresh() {
    if (document.hidden) { return; }
    fetch(source, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (petition) {
        if (!petition || typeof petition.signature_count !== "number") { return; }
        var text = words(petition.signature_count);
        if (shown.textContent !== text) { shown.textContent = text; }
      })
      .catch(function () { /* the count shown stays; the next poll tries again */ });
  }

  window.setInterval(refresh, POLL_MS);
})();

// Progressive enhancement: the receipt secret s is made here, in the browser, so the hub never
// sees it (reference/transparency.md §4.3). On the sign form: s from crypto.getRandomValues,
// C = SHA-256("hub/v1/sig\n" + P + "\n" + s) in the hidden "commitment" field, s kept in this
// tab's sessionStorage under the petition id. On the receipt page: s shown if it opens the
// receipt's C. On the withdraw form: s sent if it opens this signature's C.
// Without JavaScript, WebCrypto (plain-http pages other than localhost) or storage, nothing
// here runs and the hub makes s, as it always did.
// NOTE: sessionStorage, not localStorage: on a shared computer the proof of who signed what
// goes with the tab, as the hub-made secret goes with the session cookie.
(function () {
  "use strict";
  var PREFIX = "hub-receipt:";
  var cryptoApi = window.crypto;
  if (!cryptoApi || !cryptoApi.subtle || !cryptoApi.getRandomValues || !window.TextEncoder) {
    return;
  }
  var storage = usableStorage();
  if (!storage) { return; }

  function usableStorage() {
    try {  // throws when storage is disabled; a quota of 0 (private modes) fails on write
      var probe = PREFIX + "probe";
      window.sessionStorage.setItem(probe, "1");
      window.sessionStorage.removeItem(probe);
      return window.sessionStorage;
    } catch (e) {
      return null;
    }
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }

  function fromHex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(text.substr(i * 2, 2), 16); }
    return bytes;
  }

  // C = SHA-256("hub/v1/sig\n" || P || "\n" || s), hex lowercase (a Promise).
  function commitment(petitionId, secret) {
    var prefix = new TextEncoder().encode("hub/v1/sig\n" + petitionId + "\n");
    var message = new Uint8Array(prefix.length + secret.length);
    message.set(prefix, 0);
    message.set(secret, prefix.length);
    return cryptoApi.subtle.digest("SHA-256", message).then(function (digest) {
      return hex(new Uint8Array(digest));
    });
  }

  function kept(petitionId) {
    try {
      var entry = JSON.parse(storage.getItem(PREFIX + petitionId) || "null");
      return entry && /^[0-9a-f]{64}$/.test(entry.s) ? entry : null;
    } catch (e) {
      return null;
    }
  }

  // The kept secret of this petition if it opens ``expected`` (checked again, not trusted).
  function secretOpening(petitionId, expected) {
    var entry = kept(petitionId);
    if (!entry || !expected) { return Promise.resolve(null); }
    return commitment(petitionId, fromHex(entry.s)).then(function (made) {
      return made === expected ? entry.s : null;
    });
  }

  function prepareSignature(form) {
    var petitionId = form.getAttribute("data-petition");
    var field = document.getElementById("sign-commitment");
    if (!petitionId || !field) { return; }
    storage.removeItem(PREFIX + petitionId);  // not signed: a kept secret is of a withdrawn one
    var secret = cryptoApi.getRandomValues(new Uint8Array(32));
    commitment(petitionId, secret).then(function (made) {
      field.value = made;
      // Kept when the form leaves, not before: a page left unsigned keeps nothing.
      form.addEventListener("submit", function () {
        if (field.value !== made) { return; }
        try {
          storage.setItem(PREFIX + petitionId, JSON.stringify({ s: hex(secret), c: made }));
        } catch (e) {
          field.value = "";  // not kept: better the hub makes s than a secret nobody has
        }
      });
    });
  }

  function prepareWithdrawal(form) {
    var field = document.getElementById("withdraw-secret");
    if (!field) { return; }
    secretOpening(form.getAttribute("data-petition"), form.getAttribute("data-commitment"))
      .then(function (secret) { if (secret) { field.value = secret; } });
  }

  function showSecret(box) {
    secretOpening(box.getAttribute("data-petition"), box.getAttribute("data-commitment"))
      .then(function (secret) {
        if (!secret) { return; }
        var code = document.getElementById("receipt-secret");
        code.textContent = secret;
        code.hidden = false;
        document.getElementById("receipt-secret-note").hidden = false;
        document.getElementById("receipt-secret-missing").hidden = true;
        var cli = document.getElementById("receipt-secret-cli");
        if (cli) { cli.textContent = secret; }
      });
  }

  var signForm = document.getElementById("sign-form");
  if (signForm) { prepareSignature(signForm); }
  var withdrawForm = document.getElementById("withdraw-form");
  if (withdrawForm) { prepareWithdrawal(withdrawForm); }
  var secretBox = document.getElementById("browser-secret");
  if (secretBox) { showSecret(secretBox); }
})();

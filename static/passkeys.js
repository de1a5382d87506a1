/* Passkeys (WebAuthn) in the browser: the one script the passkey pages load (the CSP allows no
   inline script). Without WebAuthn (or without JavaScript) its elements stay hidden and every
   other form works as before.

   Hooks:
   - form[data-passkey-add]: adding a passkey. Field "name"; data-options-url (default
     /api/me/passkeys/options), data-add-url (/api/me/passkeys), data-done-url (where to go after).
   - [data-passkey-sign-in]: a passkey assertion (sign in without a password, a second factor,
     a re-authentication). A button[data-passkey-button] inside starts it; data-options-url
     (default /api/auth/passkey/options) gives {options}, data-verify-url (/api/auth/passkey)
     takes {credential}; then the browser goes to the answer's "redirect", else data-next.
   - [data-passkey-error] inside either: where a refusal is written.
   - [data-passkey-unsupported]: shown instead when the browser has no WebAuthn. */
(function () {
  "use strict";

  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = Object.assign({}, item);
      copy.id = toBuffer(item.id);
      return copy;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: { clientDataJSON: toText(response.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {}
    };
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  function xsrfToken() {
    var meta = document.querySelector('meta[name="xsrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-XSRFToken": xsrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var issue = data.issues && data.issues[0];
          throw new Error(issue ? issue.message : data.error || "The server refused (" + response.status + ").");
        }
        return data;
      });
    });
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return "The passkey prompt was cancelled or timed out.";
    if (error && error.name === "InvalidStateError") return "This device already holds a passkey for your account.";
    if (error && error.name === "SecurityError") return "This address cannot use passkeys (check APP_URL).";
    return (error && error.message) || "Something went wrong.";
  }

  function sameSite(path) {
    return typeof path === "string" && path.charAt(0) === "/" && path.charAt(1) !== "/" && path.charAt(1) !== "\\";
  }

  function showError(root, text) {
    var place = root.querySelector("[data-passkey-error]");
    if (place) place.textContent = text;
  }

  function busy(control, on) {
    if (control) control.disabled = on;
  }

  function setUpAdd(form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      var name = (form.elements.name && form.elements.name.value) || "";
      showError(form, "");
      busy(button, true);
      postJSON(form.dataset.optionsUrl || "/api/me/passkeys/options")
        .then(function (data) {
          return navigator.credentials.create({ publicKey: creationOptions(data.options) });
        })
        .then(function (credential) {
          return postJSON(form.dataset.addUrl || "/api/me/passkeys", { name: name, credential: credentialJSON(credential) });
        })
        .then(function () {
          window.location.assign(sameSite(form.dataset.doneUrl) ? form.dataset.doneUrl : window.location.pathname);
        })
        .catch(function (error) {
          showError(form, explain(error));
          busy(button, false);
        });
    });
  }

  function setUpAssertion(root) {
    root.hidden = false;
    var button = root.querySelector("[data-passkey-button]");
    if (!button) return;
    button.addEventListener("click", function () {
      showError(root, "");
      busy(button, true);
      postJSON(root.dataset.optionsUrl || "/api/auth/passkey/options")
        .then(function (data) {
          return navigator.credentials.get({ publicKey: requestOptions(data.options) });
        })
        .then(function (credential) {
          var body = { credential: credentialJSON(credential) };
          var remember = document.querySelector("input[name=remember]");  // "Keep me signed in"
          if (remember && remember.checked) body.remember = true;
          return postJSON(root.dataset.verifyUrl || "/api/auth/passkey", body);
        })
        .then(function (data) {
          var next = sameSite(data.redirect) ? data.redirect : root.dataset.next;
          window.location.assign(sameSite(next) ? next : "/");
        })
        .catch(function (error) {
          showError(root, explain(error));
          busy(button, false);
        });
    });
  }

  function start() {
    if (!supported) {
      document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = false; });
      return;
    }
    document.querySelectorAll("form[data-passkey-add]").forEach(setUpAdd);
    document.querySelectorAll("[data-passkey-sign-in]").forEach(setUpAssertion);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

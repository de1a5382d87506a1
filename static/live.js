// Live pages: keeps this page's <main id="main"> current. Loaded only by pages that declare
// LIVE = True (a static file: the Content-Security-Policy allows no inline script).
//
// It opens a WebSocket to /_live for the page it is on, sending the digest of what the page
// shows. The server sends {"type": "update", "status", "title", "main", "digest"} when what
// this viewer would see changed (the page, or its 403/404 page), and {"type": "navigate",
// "url"} for a redirect. An update keeps the focused element and the scroll position, waits
// while someone types in a form field, and is announced politely to screen readers. Close
// codes: 1001 the server restarts (reconnect), 4401 the session ended (reload after a second,
// once the tab that logged out has its answer), 4408 idle (reconnect when the tab is seen
// again). Without JavaScript the page is what the server sent.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.hasAttribute("data-live") || !("WebSocket" in window)) return;

  var ACTIVE_EVERY = 20000; // ms between "still here" messages while the tab is in view
  var page = location.pathname + location.search;
  var digest = main.getAttribute("data-live");
  var socket = null;
  var failures = 0;
  var waitingForView = false; // closed as idle: reconnect when the tab is seen again
  var pending = null; // an update held while someone types in a field of the main content
  var timer = null;
  var leaving = false; // a navigation away has begun (its own logout must not reload it)

  // a polite live region of its own (not role=status: the page's own notices keep that)
  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.id = "live-announcer";
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  document.body.appendChild(status);

  function announce(text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function connect() {
    if (socket) return;
    if (document.visibilityState === "hidden") {
      waitingForView = true; // a background tab connects once it is seen
      return;
    }
    waitingForView = false;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/_live?page=" + encodeURIComponent(page) +
      "&digest=" + encodeURIComponent(digest));
    socket.onopen = function () { failures = 0; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "navigate") {
        location.assign(message.url);
      } else if (message.type === "update") {
        if (typing()) { pending = message; } else { apply(message); }
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (leaving) {
        // this page is on its way out (a link, a form): act only if it is still here later
        window.setTimeout(function () { leaving = false; closed(event.code); }, 3000);
      } else {
        closed(event.code);
      }
    };
  }

  function closed(code) {
    if (socket) return;
    if (code === 4401) {
      // the session ended: show what the server shows now, once the tab that logged out
      // has had its answer (a stateless session ends in the browser, with its cookie)
      announce("Your session has ended.");
      window.setTimeout(function () { location.reload(); }, 1000);
    } else if (code === 4408) {
      waitingForView = true;
    } else {
      failures += 1;
      if (failures <= 10) {
        var delay = Math.min(30000, 1000 * Math.pow(2, failures - 1)) * (0.5 + Math.random());
        window.setTimeout(connect, delay);
      } else {
        waitingForView = true; // give up until the tab is seen again
      }
    }
  }

  function typing() {
    var active = document.activeElement;
    return !!active && main.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  // what identifies the focused element in the new content: its id, or what it points to
  function focusKey() {
    var active = document.activeElement;
    if (!active || active === main || !main.contains(active)) return null;
    return {
      id: active.id,
      tag: active.tagName,
      href: active.getAttribute("href"),
      name: active.getAttribute("name"),
      text: (active.textContent || "").trim(),
    };
  }

  function refocus(key) {
    if (!key) return;
    var found = key.id ? document.getElementById(key.id) : null;
    if (!found) {
      var candidates = main.getElementsByTagName(key.tag);
      for (var i = 0; i < candidates.length && !found; i += 1) {
        var el = candidates[i];
        if (el.getAttribute("href") === key.href && el.getAttribute("name") === key.name &&
            (el.textContent || "").trim() === key.text) {
          found = el;
        }
      }
    }
    if (!found || !main.contains(found)) {
      found = main;
      main.setAttribute("tabindex", "-1");
    }
    found.focus({ preventScroll: true });
  }

  function apply(message) {
    pending = null;
    var key = focusKey();
    var x = window.scrollX;
    var y = window.scrollY;
    main.innerHTML = message.main;
    document.title = message.title;
    digest = message.digest;
    refocus(key);
    window.scrollTo(x, y);
    announce(message.status === 404 ? "This page no longer exists." :
      message.status === 403 ? "You no longer have access to this page." : "This page was updated.");
  }

  main.addEventListener("focusout", function () {
    window.setTimeout(function () { if (pending && !typing()) apply(pending); }, 0);
  });

  function seen() {
    if (document.visibilityState !== "visible") return;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send("active");
    if (!socket && waitingForView) { failures = 0; connect(); }
  }

  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
  timer = window.setInterval(seen, ACTIVE_EVERY);
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pagehide", function () {
    window.clearInterval(timer);
    if (socket) socket.close(1000, "page left");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return; // back from the browser's cache: listen again
    leaving = false;
    timer = window.setInterval(seen, ACTIVE_EVERY);
    failures = 0;
    connect();
  });
  connect();
})();

/* Plangate pages: htmx settings, opening the box a link points at, and the live-update client.
 *
 * A page holding a [data-live-socket] element opens that WebSocket with ?after=<the last event id
 * it has rendered>, read from #live-state. The server only ever says
 * {"type": "changed", "last_event_id": N}; the page then GETs its [data-live-url] (plus
 * ?after=<last rendered event id>) through htmx. The response holds only out-of-band fragments,
 * #live-state among them, so it is requested with swap "none".
 *
 * It may also say {"type": "inbox"}: something changed that the top bar's inbox count counts, in
 * a plan the page does not show. The page then GETs the count alone (body[data-inbox-count-url]).
 * A page with no live root of its own keeps just its count live through the top bar's
 * [data-live-count-only] root. Either connects with ?log=<where the log stood when its count was
 * read>, from #inbox-count.
 */
(function () {
  "use strict";

  // The pages answer a refused action (409: the plan's state does not allow it) and an invalid
  // form (422) with the fragments that say why. htmx drops 4xx bodies by default; swap these two
  // like a 200. Other errors are still not swapped.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
  // Defence in depth: nothing these pages swap in needs a script or eval.
  htmx.config.allowScriptTags = false;
  htmx.config.allowEval = false;

  // A fragment replaced under the reviewer keeps the <details> they had opened open (the
  // textareas inside keep their text through hx-preserve).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    event.detail.target.querySelectorAll("details[open][id]").forEach(function (open) {
      var incoming = fragment.querySelector("#" + CSS.escape(open.id));
      if (incoming) {
        incoming.open = true;
      }
    });
  });

  // A request answered by the login page means the session ended: go and log in again.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var loginUrl = document.body.dataset.loginUrl;
    if (!xhr || !xhr.responseURL || !loginUrl) {
      return;
    }
    if (new URL(xhr.responseURL).pathname === loginUrl) {
      window.location.assign(loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search));
    }
  });

  // A link to a closed box (the inbox's "Request changes" goes to #request-changes) opens it,
  // ready to type in. Without JavaScript the link still scrolls to the box: its summary opens it.
  function openLinkedBox() {
    var id = decodeURIComponent(location.hash.slice(1));
    var box = id ? document.getElementById(id) : null;
    if (!box || box.tagName !== "DETAILS") {
      return;
    }
    box.open = true;
    var field = box.querySelector("textarea, select, input:not([type=hidden])");
    if (field) {
      field.focus({ preventScroll: true });
    }
  }
  // On load, not now: Chromium scrolls to the fragment after this script has run, and takes the
  // focus off anything when the element it scrolls to (the box) cannot hold it.
  window.addEventListener("load", openLinkedBox);
  window.addEventListener("hashchange", openLinkedBox);

  // The page's own live root; else the top bar's, which keeps only the count live.
  var root =
    document.querySelector("main [data-live-socket]") ||
    document.querySelector("[data-live-socket][data-live-count-only]");
  var indicator = document.getElementById("live-indicator");
  if (!root || !indicator || !window.WebSocket) {
    return;
  }

  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  var MAX_DELAY_MS = 30000;
  var STABLE_MS = 5000; // a connection open this long resets the backoff
  var attempts = 0;
  var openedAt = 0;
  var fetching = false;
  var fetchAgain = false;
  var countOnly = root.hasAttribute("data-live-count-only");
  var countFetching = false;
  var countFetchAgain = false;

  function lastEventId() {
    var state = document.getElementById("live-state");
    return (state && state.dataset.lastEventId) || "0";
  }

  function logPosition() {
    var count = document.getElementById("inbox-count");
    return (count && count.dataset.logPosition) || "0";
  }

  function show(state, text) {
    // A page whose only live part is the count does not claim to be live.
    if (countOnly) {
      return;
    }
    indicator.hidden = false;
    indicator.dataset.state = state;
    indicator.textContent = text;
  }

  // One fetch at a time; nudges that arrive meanwhile make one more fetch when it ends, so the
  // page always ends up showing the latest state.
  function refresh() {
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    var url = root.dataset.liveUrl;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(lastEventId());
    // The version on screen: the fragments keep the page's actions bound to it, and say what
    // changed since, rather than silently offering a version the reviewer has not read.
    var state = document.getElementById("live-state");
    if (state && state.dataset.seenVersion) {
      url += "&seen=" + encodeURIComponent(state.dataset.seenVersion);
    }
    function done() {
      fetching = false;
      if (fetchAgain) {
        fetchAgain = false;
        refresh();
      }
    }
    htmx.ajax("GET", url, { source: root, swap: "none" }).then(done, done);
  }

  // The count alone, as for refresh(): one fetch at a time, one more if nudged meanwhile.
  function refreshCount() {
    var url = document.body.dataset.inboxCountUrl;
    if (!url) {
      return;
    }
    if (countFetching) {
      countFetchAgain = true;
      return;
    }
    countFetching = true;
    function done() {
      countFetching = false;
      if (countFetchAgain) {
        countFetchAgain = false;
        refreshCount();
      }
    }
    htmx.ajax("GET", url, { source: root, swap: "none" }).then(done, done);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    // The page's current position, so a page that reconnects is told at once if it missed anything.
    var url = scheme + location.host + root.dataset.liveSocket + "?after=" + encodeURIComponent(lastEventId()) +
      "&log=" + encodeURIComponent(logPosition());
    var socket = new WebSocket(url);
    socket.onopen = function () {
      openedAt = Date.now();
      show("live", "live");
    };
    socket.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (message.type === "changed") {
        refresh();
      } else if (message.type === "inbox") {
        refreshCount();
      }
    };
    socket.onclose = function (event) {
      if (event.code === CLOSE_UNAUTHENTICATED) {
        show("off", "signed out: reload to log in");
        return;
      }
      if (event.code === CLOSE_FORBIDDEN) {
        show("off", "not live: no access");
        return;
      }
      if (openedAt && Date.now() - openedAt > STABLE_MS) {
        attempts = 0;
      }
      openedAt = 0;
      attempts += 1;
      // Capped exponential backoff with jitter, so pages do not all return at the same moment.
      var ceiling = Math.min(MAX_DELAY_MS, 500 * Math.pow(2, attempts));
      show("reconnecting", "reconnecting…");
      window.setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
    };
  }

  show("connecting", "connecting…");
  connect();
})();

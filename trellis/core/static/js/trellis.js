// Trellis page behaviour: the live event socket and the notification bell.
(function () {
  "use strict";

  function updateBell(count) {
    var badge = document.querySelector("[data-bell-count]");
    var label = document.querySelector("[data-bell-label]");
    if (!badge || !label) return;
    badge.textContent = String(count);
    badge.hidden = count < 1;
    label.textContent = count + " unread";
  }

  function connectEvents() {
    var path = document.body.dataset.eventsUrl;
    if (!path || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var delay = 1000;
    var socket;
    var pinger = null;

    function open() {
      socket = new WebSocket(scheme + window.location.host + path);
      socket.addEventListener("open", function () {
        delay = 1000;
        document.body.dataset.eventsConnected = "true";
        // Proxies close idle sockets, and the server counts a silent one as offline.
        window.clearInterval(pinger);
        pinger = window.setInterval(function () {
          send({ type: "ping" });
        }, 45000);
        document.dispatchEvent(new CustomEvent("trellis:socket-open"));
      });
      socket.addEventListener("message", function (message) {
        var event;
        try {
          event = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (event.type === "notification.created" && typeof event.unread_count === "number") {
          updateBell(event.unread_count);
        }
        document.dispatchEvent(new CustomEvent("trellis:event", { detail: event }));
      });
      socket.addEventListener("close", function (closeEvent) {
        document.body.dataset.eventsConnected = "false";
        window.clearInterval(pinger);
        document.dispatchEvent(new CustomEvent("trellis:socket-closed"));
        if (closeEvent.code === 4401) return; // signed out: do not retry
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    function send(frame) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }

    // For page modules (calls): send a frame, and close the socket (tests use it to
    // drop the connection; the page reconnects on its own).
    window.Trellis.send = send;
    window.Trellis.dropSocket = function () {
      if (socket) socket.close();
    };
    open();
  }

  // "Maria is calling": on any page, a banner to join or to say not now.
  function callBanner() {
    var banner = null;
    var room = null;

    function hide() {
      if (banner) banner.remove();
      banner = null;
      room = null;
    }

    function show(event) {
      hide();
      room = event.room;
      banner = document.createElement("div");
      banner.className = "call-banner";
      banner.setAttribute("role", "alert");
      banner.dataset.callBanner = event.room;
      var text = document.createElement("p");
      text.textContent = event.caller + " is calling you.";
      var join = document.createElement("a");
      join.className = "button";
      join.href = event.url;
      join.textContent = "Join the call";
      var decline = document.createElement("button");
      decline.type = "button";
      decline.className = "button--secondary";
      decline.textContent = "Not now";
      decline.addEventListener("click", function () {
        // The page's CSRF token, as htmx sends it (hx-headers on the body).
        var headers = { "X-Requested-With": "fetch" };
        try {
          var htmxHeaders = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
          headers["X-CSRFToken"] = htmxHeaders["X-CSRFToken"] || "";
        } catch (error) {
          headers["X-CSRFToken"] = "";
        }
        fetch(event.url + "decline/", { method: "POST", credentials: "same-origin", headers: headers })
          .catch(function () {});
        hide();
      });
      banner.append(text, join, decline);
      document.body.prepend(banner);
    }

    function note(message) {
      var box = document.createElement("div");
      box.className = "call-banner";
      box.setAttribute("role", "status");
      box.textContent = message;
      document.body.prepend(box);
      window.setTimeout(function () { box.remove(); }, 15000);
    }

    document.addEventListener("trellis:event", function (domEvent) {
      var event = domEvent.detail || {};
      if (event.type === "call.ringing") {
        // Already in that room (the call page): no need to ring.
        if (document.body.dataset.callRoom === event.room) return;
        show(event);
      } else if (event.type === "call.ended" && event.room === room) {
        hide();
      } else if (event.type === "call.declined" && document.body.dataset.callRoom === event.room) {
        note(event.name + " can't take the call now.");
      }
    });
  }

  // Fill an empty time-zone field with the zone the browser reports.
  function detectTimeZone() {
    var fields = document.querySelectorAll("[data-detect-time-zone]");
    if (!fields.length || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    fields.forEach(function (field) {
      if (field.value && field.dataset.detectTimeZone !== "always") return;
      var hasOption = !field.options || Array.prototype.some.call(field.options, function (o) {
        return o.value === zone;
      });
      if (zone && hasOption) field.value = zone;
    });
  }

  window.Trellis = { updateBell: updateBell, send: function () { return false; } };
  document.addEventListener("DOMContentLoaded", function () {
    connectEvents();
    detectTimeZone();
    callBanner();
  });
})();

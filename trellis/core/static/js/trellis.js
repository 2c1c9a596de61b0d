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

    function open() {
      socket = new WebSocket(scheme + window.location.host + path);
      socket.addEventListener("open", function () {
        delay = 1000;
        document.body.dataset.eventsConnected = "true";
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
        if (closeEvent.code === 4401) return; // signed out: do not retry
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
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

  document.addEventListener("DOMContentLoaded", function () {
    connectEvents();
    detectTimeZone();
  });
  window.Trellis = { updateBell: updateBell };
})();

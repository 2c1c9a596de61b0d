// Trellis: the unread-messages count in the navigation and on the dashboard, kept live.
//
// Any page's event socket (trellis.js, or messaging.js on a conversation page) hands each
// event on as a "trellis:event"; a new message from someone else, or a change of this
// person's own read state, refreshes the count from the server (one small request).
(function () {
  "use strict";

  var pending = null;

  function me() {
    return Number(document.body.dataset.userId || 0);
  }

  function show(total) {
    document.querySelectorAll("[data-messages-unread]").forEach(function (badge) {
      badge.textContent = String(total);
      badge.hidden = total < 1;
    });
    document.querySelectorAll("[data-messages-unread-label]").forEach(function (label) {
      label.textContent = total ? ", " + total + " unread" : "";
    });
    document.querySelectorAll("[data-messages-unread-text]").forEach(function (text) {
      text.textContent = total === 1 ? "1 unread message" : total + " unread messages";
    });
  }

  function refresh() {
    pending = null;
    fetch("/api/v1/conversations/unread", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && typeof data.total === "number") show(data.total);
      })
      .catch(function () {
        // Offline: the count catches up with the next event or page.
      });
  }

  function schedule() {
    if (pending === null) pending = window.setTimeout(refresh, 250);
  }

  document.addEventListener("trellis:event", function (domEvent) {
    var event = domEvent.detail || {};
    if (event.type === "message.created" && event.message && event.message.sender) {
      if (event.message.sender.id !== me()) schedule();
    } else if (event.type === "conversation.state" && event.user === me()) {
      schedule();
    }
  });
  // messaging.js says so when it marked messages read over HTTP (no socket event then).
  document.addEventListener("messaging:unread-changed", schedule);
  window.TrellisMessagesBadge = { refresh: schedule, show: show };
})();

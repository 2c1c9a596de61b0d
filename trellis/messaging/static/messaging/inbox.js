// Trellis messaging: the inbox follows new messages and read state without a reload.
(function () {
  "use strict";

  var list = document.querySelector("[data-inbox]");
  var me = Number(document.body.dataset.userId || 0);
  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var dayTimeFormat = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });

  function localTime(node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    var today = moment.toDateString() === new Date().toDateString();
    node.textContent = (today ? timeFormat : dayTimeFormat).format(moment);
  }

  function preview(message) {
    var who = message.sender.id === me ? "You" : message.sender.display_name;
    var text;
    if (message.is_deleted) text = "Message deleted";
    else if (message.kind === "event") text = "Event: " + (message.card.title || "");
    else if (message.body) text = message.body.replace(/\s+/g, " ").trim();
    else if (message.kind === "voice") text = "Voice message";
    else if (message.kind === "video") text = "Video message";
    else text = "Sent a file";
    if (text.length > 90) text = text.slice(0, 89).trim() + "\u2026";
    return who + ": " + text;
  }

  function setUnread(row, count) {
    var badge = row.querySelector("[data-inbox-unread]");
    var label = row.querySelector("[data-inbox-unread-label]");
    badge.textContent = String(count);
    badge.hidden = count < 1;
    label.textContent = count ? ", " + count + " unread" : "";
    row.classList.toggle("inbox__item--unread", count > 0);
  }

  document.querySelectorAll("[data-inbox-time]").forEach(localTime);
  if (!list) {
    // The first conversation of an empty inbox: show it.
    document.addEventListener("trellis:event", function (domEvent) {
      if ((domEvent.detail || {}).type === "message.created") window.location.reload();
    });
    return;
  }

  document.addEventListener("trellis:event", function (domEvent) {
    var event = domEvent.detail || {};
    if (event.type === "message.created") {
      var message = event.message;
      var row = list.querySelector('[data-conversation="' + message.conversation + '"]');
      if (!row) {
        window.location.reload();
        return;
      }
      row.querySelector("[data-inbox-preview]").textContent = preview(message);
      var time = row.querySelector("[data-inbox-time]");
      if (time) {
        time.setAttribute("datetime", message.created_at);
        localTime(time);
      }
      if (message.sender.id !== me) {
        setUnread(row, Number(row.querySelector("[data-inbox-unread]").textContent || 0) + 1);
      }
      list.insertBefore(row, list.firstChild);
    } else if (event.type === "conversation.state" && event.user === me) {
      var read = list.querySelector('[data-conversation="' + event.conversation + '"]');
      // The exact count needs the conversation's last seq; a read on another device
      // usually reads everything, and the next visit shows the exact figure.
      if (read) setUnread(read, 0);
    }
  });
})();

// Trellis messaging: the conversation page's live client (plain JavaScript, no build).
//
// Sending: each message gets a client_key (crypto.randomUUID) and waits in an outbox,
// kept in localStorage too, until the server acknowledges it; a reload or a dropped
// connection loses nothing, and a retry never duplicates (the server keeps one message
// per key). Receiving: a conversation's messages are numbered 1, 2, 3...; after every
// (re)connect the page asks for everything after the last one it has. When the socket
// cannot connect (3 failed tries, or not open within 5 s) the page sends over HTTP and
// polls every 3 s, and keeps trying the socket in the background.
//
// Safety: message text is shown only from the server's sanitized HTML (message.html);
// every other string a person typed (names, file names, event titles, search snippets)
// goes in with textContent.
(function () {
  "use strict";

  var configNode = document.getElementById("messaging-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var conversationId = config.conversation;
  var me = config.user;
  var api = config.api;
  var conversationUrl = api + "/conversations/" + conversationId;

  var SOCKET_TRIES = 3;
  var SOCKET_PATIENCE_MS = 5000;
  var POLL_MS = 3000;
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 6000;
  // A catch-up on a heartbeat: it keeps proxies from closing an idle socket, and finds
  // any event the server could not deliver (a full channel drops events silently).
  var HEARTBEAT_SYNC_MS = 25000;
  // And one shortly after the last of a run of new messages, for the same reason.
  var SETTLE_SYNC_MS = 1500;
  var MAX_RECORDING_MS = 15 * 60 * 1000;

  function $(selector) {
    return document.querySelector(selector);
  }

  var dom = {
    log: $("[data-message-log]"),
    list: $("[data-messages]"),
    empty: $("[data-empty]"),
    earlier: $("[data-load-earlier]"),
    typing: $("[data-typing]"),
    connection: $("[data-connection]"),
    composer: $("[data-composer]"),
    input: $("[data-composer-input]"),
    composerError: $("[data-composer-error]"),
    uploads: $("[data-uploads]"),
    fileInput: $("[data-file-input]"),
    recorder: $("[data-recorder]"),
    recorderPreview: $("[data-recorder-preview]"),
    recorderLabel: $("[data-recorder-label]"),
    recorderTimer: $("[data-recorder-timer]"),
    recorderStop: $("[data-recorder-stop]"),
    recorderCancel: $("[data-recorder-cancel]"),
    eventShare: $("[data-event-share]"),
    eventForm: $("[data-event-form]"),
    eventError: $("[data-event-error]"),
    searchForm: $("[data-search-form]"),
    searchInput: $("[data-search-input]"),
    searchResults: $("[data-search-results]"),
    searchStatus: $("[data-search-status]"),
    searchList: $("[data-search-list]"),
  };

  // --- State ---------------------------------------------------------------------------

  var messages = new Map(); // seq -> message data, for what the page holds
  var lastSeq = config.lastSeq; // every message up to this one is on the page
  var firstSeq = config.firstSeq;
  var hasEarlier = config.hasEarlier;
  var members = {}; // user id -> {display_name, delivered, read}
  config.members.forEach(function (member) {
    members[member.user] = member;
  });
  var own = members[me] || { delivered: 0, read: 0 };
  var readSent = own.read;
  var deliveredSent = own.delivered;

  // --- Small helpers -------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRFToken"] = config.csrfToken;
    return fetch(url, options).then(
      function (response) {
        return response.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (error) {
            data = null;
          }
          return { ok: response.ok, status: response.status, data: data };
        });
      },
      function () {
        return { ok: false, status: 0, data: null };
      }
    );
  }

  function problemText(data, fallback) {
    if (!data) return fallback;
    var parts = [];
    if (data.errors) {
      Object.keys(data.errors).forEach(function (field) {
        parts = parts.concat(data.errors[field]);
      });
    }
    if (data.fields) {
      Object.keys(data.fields).forEach(function (field) {
        parts = parts.concat(data.fields[field]);
      });
    }
    if (!parts.length && data.message) parts.push(data.message);
    if (!parts.length && data.detail) parts.push(data.detail);
    return parts.join(" ") || fallback;
  }

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var dayTimeFormat = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  var longFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });

  function sameDay(a, b) {
    return a.toDateString() === b.toDateString();
  }

  function timeElement(iso) {
    var moment = new Date(iso);
    var node = el("time", null, sameDay(moment, new Date()) ? timeFormat.format(moment) : dayTimeFormat.format(moment));
    node.dateTime = iso;
    node.title = moment.toLocaleString();
    return node;
  }

  function durationLabel(seconds) {
    if (seconds === null || seconds === undefined) return "";
    var total = Math.round(seconds);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    var mm = hours ? ("0" + minutes).slice(-2) : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + ("0" + secs).slice(-2);
  }

  function sizeLabel(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function isSafeLink(url) {
    return typeof url === "string" && /^https:\/\//i.test(url);
  }

  // --- Rendering -----------------------------------------------------------------------

  function receiptLabel(seq) {
    var others = Object.keys(members)
      .map(function (id) {
        return members[id];
      })
      .filter(function (member) {
        return member.user !== me;
      });
    if (!others.length) return "";
    var read = others.filter(function (m) {
      return m.read >= seq;
    }).length;
    var delivered = others.filter(function (m) {
      return m.delivered >= seq;
    }).length;
    var total = others.length;
    if (read === total) return "Read";
    if (read) return "Read by " + read + " of " + total;
    if (delivered === total) return "Delivered";
    if (delivered) return "Delivered to " + delivered + " of " + total;
    return "Sent";
  }

  function renderCard(data) {
    var card = data.card;
    var box = el("div", "chat-card");
    box.dataset.card = "";
    box.appendChild(el("p", "chat-card__title", card.title));
    var starts = new Date(card.starts_at);
    var ends = new Date(card.ends_at);
    var when = el("p", "chat-card__time");
    var startNode = el("time", null, longFormat.format(starts));
    startNode.dateTime = card.starts_at;
    var endNode = el("time", null, sameDay(starts, ends) ? timeFormat.format(ends) : longFormat.format(ends));
    endNode.dateTime = card.ends_at;
    when.append(startNode, "\u2013", endNode);
    box.appendChild(when);
    if (card.place) box.appendChild(el("p", "chat-card__place", "Place: " + card.place));
    if (card.url && isSafeLink(card.url)) {
      var linkLine = el("p", "chat-card__link");
      var link = el("a", null, card.url);
      link.href = card.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      linkLine.appendChild(link);
      box.appendChild(linkLine);
    }
    var add = el("a", "button button--secondary", "Add to calendar");
    add.href = config.cardUrl.replace("{id}", String(data.id));
    var addLine = el("p");
    addLine.appendChild(add);
    box.appendChild(addLine);
    return box;
  }

  function mediaOf(attachment) {
    if (attachment.is_image) return "image";
    if (attachment.content_type.indexOf("audio/") === 0) return "audio";
    if (attachment.content_type.indexOf("video/") === 0) return "video";
    return "file";
  }

  function renderAttachment(attachment) {
    var media = mediaOf(attachment);
    var box = el("div", "chat-attachment chat-attachment--" + media);
    var duration = durationLabel(attachment.duration_seconds);
    if (media === "image") {
      var link = el("a");
      link.href = attachment.url;
      var image = el("img");
      image.src = attachment.url;
      image.alt = attachment.name;
      image.loading = "lazy";
      if (attachment.width && attachment.height) {
        image.width = attachment.width;
        image.height = attachment.height;
      }
      image.addEventListener("load", function () {
        if (isNearBottom()) scrollToBottom();
      });
      link.appendChild(image);
      box.appendChild(link);
    } else if (media === "audio" || media === "video") {
      var player = el(media);
      player.controls = true;
      player.preload = "metadata";
      if (media === "video") player.playsInline = true;
      player.src = attachment.url;
      player.setAttribute(
        "aria-label",
        (media === "audio" ? "Voice message" : "Video message") + (duration ? ", " + duration : "")
      );
      box.appendChild(player);
      if (duration) {
        var length = el("span", "chat-attachment__duration", duration);
        length.dataset.duration = "";
        box.appendChild(length);
      }
    } else {
      var download = el("a", null, attachment.name);
      download.href = attachment.url;
      download.setAttribute("download", "");
      box.append(download, " ", el("span", "muted", "(" + sizeLabel(attachment.size) + ")"));
    }
    return box;
  }

  function renderMessage(data) {
    var isOwn = data.sender.id === me;
    var item = el(
      "li",
      "chat-message" + (isOwn ? " chat-message--own" : "") + (data.is_deleted ? " chat-message--deleted" : "")
    );
    item.id = "message-" + data.seq;
    item.dataset.seq = String(data.seq);
    item.dataset.messageId = String(data.id);
    item.dataset.clientKey = data.client_key;
    var meta = el("p", "chat-message__meta");
    meta.append(el("span", "chat-message__sender", data.sender.display_name), timeElement(data.created_at));
    if (data.edited_at && !data.is_deleted) {
      var mark = el("span", "chat-message__mark", "edited");
      mark.dataset.edited = "";
      meta.appendChild(mark);
    }
    item.appendChild(meta);
    if (data.is_deleted) {
      var gone = el("p", "chat-message__body chat-message__body--deleted", "This message was deleted.");
      gone.dataset.deleted = "";
      item.appendChild(gone);
    } else {
      if (data.html) {
        var body = el("div", "chat-message__body");
        // Sanitized on the server (nh3 allow-list): the only HTML this page inserts.
        body.innerHTML = data.html;
        item.appendChild(body);
      }
      if (data.card && data.card.title) item.appendChild(renderCard(data));
      (data.attachments || []).forEach(function (attachment) {
        item.appendChild(renderAttachment(attachment));
      });
    }
    if (isOwn) {
      var receipt = el("p", "chat-message__receipt", receiptLabel(data.seq));
      receipt.dataset.receipt = "";
      item.appendChild(receipt);
      if (!data.is_deleted) item.appendChild(renderActions(item, data));
    }
    return item;
  }

  function renderActions(item, data) {
    var actions = el("div", "chat-message__actions");
    if (data.kind !== "event") {
      var edit = el("button", "link-button", "Edit");
      edit.type = "button";
      edit.setAttribute("aria-label", "Edit message " + data.seq);
      edit.addEventListener("click", function () {
        startEdit(item, data);
      });
      actions.appendChild(edit);
    }
    var remove = el("button", "link-button", "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", "Delete message " + data.seq);
    remove.addEventListener("click", function () {
      confirmDelete(item, data, actions);
    });
    actions.appendChild(remove);
    return actions;
  }

  function renderPending(entry) {
    var item = el("li", "chat-message chat-message--own chat-message--pending");
    item.dataset.clientKey = entry.client_key;
    item.dataset.pending = "";
    var meta = el("p", "chat-message__meta");
    meta.appendChild(el("span", "chat-message__sender", "You"));
    item.appendChild(meta);
    if (entry.body) item.appendChild(el("p", "chat-message__text", entry.body));
    if (entry.card && entry.card.title) item.appendChild(el("p", "chat-card__title", "Event: " + entry.card.title));
    (entry.attachments || []).forEach(function (attachment) {
      item.appendChild(el("p", "chat-message__text", attachment.name));
    });
    if (entry.state === "failed") {
      item.classList.add("chat-message--failed");
      item.appendChild(el("p", "chat-message__receipt", "Not sent: " + (entry.error || "try again.")));
      var actions = el("div", "chat-message__actions");
      var retry = el("button", "link-button", "Retry");
      retry.type = "button";
      retry.addEventListener("click", function () {
        entry.state = "pending";
        entry.error = "";
        saveOutbox();
        showPending(entry);
        trySend(entry, true);
      });
      var discard = el("button", "link-button", "Discard");
      discard.type = "button";
      discard.addEventListener("click", function () {
        dropOutbox(entry.client_key);
        item.remove();
        updateEmpty();
      });
      actions.append(retry, discard);
      item.appendChild(actions);
    } else {
      var status = el("p", "chat-message__receipt", "Sending\u2026");
      status.dataset.receipt = "";
      item.appendChild(status);
    }
    return item;
  }

  function nodeForSeq(seq) {
    return dom.list.querySelector('li[data-seq="' + seq + '"]');
  }

  function pendingNode(key) {
    var found = null;
    dom.list.querySelectorAll("li[data-pending]").forEach(function (node) {
      if (node.dataset.clientKey === key) found = node;
    });
    return found;
  }

  function placeMessageNode(node, seq) {
    var before = null;
    var children = dom.list.children;
    for (var i = 0; i < children.length; i += 1) {
      var child = children[i];
      if (child.hasAttribute("data-pending") || Number(child.dataset.seq) > seq) {
        before = child;
        break;
      }
    }
    dom.list.insertBefore(node, before);
  }

  function updateEmpty() {
    if (dom.empty) dom.empty.hidden = dom.list.children.length > 0;
  }

  function isNearBottom() {
    return dom.log.scrollHeight - dom.log.scrollTop - dom.log.clientHeight < 120;
  }

  function scrollToBottom() {
    dom.log.scrollTop = dom.log.scrollHeight;
  }

  function refreshReceipts() {
    dom.list.querySelectorAll("li.chat-message--own[data-seq]").forEach(function (node) {
      var receipt = node.querySelector("[data-receipt]");
      if (receipt) receipt.textContent = receiptLabel(Number(node.dataset.seq));
    });
  }

  // --- Messages in and out of the page ---------------------------------------------------

  function showMessage(data) {
    var stickToBottom = isNearBottom() || data.sender.id === me;
    var existing = nodeForSeq(data.seq);
    var pending = data.sender.id === me ? pendingNode(data.client_key) : null;
    var node = renderMessage(data);
    if (existing) {
      existing.replaceWith(node);
      if (pending) pending.remove();
    } else if (pending) {
      pending.remove();
      placeMessageNode(node, data.seq);
    } else {
      placeMessageNode(node, data.seq);
    }
    updateEmpty();
    if (stickToBottom && data.seq >= lastSeq) scrollToBottom();
  }

  function receive(data) {
    if (data.conversation !== conversationId) return;
    var known = messages.get(data.seq);
    messages.set(data.seq, data);
    if (data.sender.id === me) dropOutbox(data.client_key);
    if (data.seq < firstSeq) {
      // Older than the history on the page ("load earlier" places those). A retried
      // send can be answered with such a message: it is stored, so it is no longer
      // waiting.
      var waiting = data.sender.id === me ? pendingNode(data.client_key) : null;
      if (waiting) waiting.remove();
      updateEmpty();
      return;
    }
    var changed =
      !known ||
      known.edited_at !== data.edited_at ||
      known.is_deleted !== data.is_deleted ||
      !nodeForSeq(data.seq);
    if (changed || pendingNode(data.client_key)) showMessage(data);
    if (data.seq === lastSeq + 1) {
      while (messages.has(lastSeq + 1)) lastSeq += 1;
    } else if (data.seq > lastSeq + 1) {
      // A gap: an event went missing on the way; fetch what lies between.
      catchUp();
    }
    if (data.sender.id !== me) stopTyping(data.sender.id);
    scheduleMarks();
  }

  function update(data) {
    if (data.conversation !== conversationId) return;
    if (!messages.has(data.seq) && !nodeForSeq(data.seq)) return;
    messages.set(data.seq, data);
    var node = nodeForSeq(data.seq);
    if (node) node.replaceWith(renderMessage(data));
  }

  // --- The outbox ------------------------------------------------------------------------

  var storageKey = "trellis.outbox." + me + "." + conversationId;
  var outbox = [];

  function loadOutbox() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
      if (Array.isArray(stored)) outbox = stored.filter(function (entry) {
        return entry && typeof entry.client_key === "string";
      });
    } catch (error) {
      outbox = [];
    }
  }

  function saveOutbox() {
    try {
      var kept = outbox.map(function (entry) {
        return {
          client_key: entry.client_key,
          body: entry.body,
          attachment_ids: entry.attachment_ids,
          attachments: entry.attachments,
          card: entry.card,
          state: entry.state,
          error: entry.error,
        };
      });
      if (kept.length) window.localStorage.setItem(storageKey, JSON.stringify(kept));
      else window.localStorage.removeItem(storageKey);
    } catch (error) {
      // Private mode or a full storage: the outbox still lives in memory.
    }
  }

  function outboxEntry(key) {
    for (var i = 0; i < outbox.length; i += 1) {
      if (outbox[i].client_key === key) return outbox[i];
    }
    return null;
  }

  function dropOutbox(key) {
    var before = outbox.length;
    outbox = outbox.filter(function (entry) {
      return entry.client_key !== key;
    });
    if (outbox.length !== before) saveOutbox();
  }

  function showPending(entry) {
    var node = renderPending(entry);
    var existing = pendingNode(entry.client_key);
    if (existing) existing.replaceWith(node);
    else dom.list.appendChild(node);
    updateEmpty();
  }

  function enqueue(fields) {
    var entry = {
      client_key: newKey(),
      body: fields.body || "",
      attachment_ids: fields.attachment_ids || [],
      attachments: fields.attachments || [],
      card: fields.card || null,
      state: "pending",
      error: "",
    };
    outbox.push(entry);
    saveOutbox();
    typingSentAt = 0; // the next words typed are news again
    showPending(entry);
    scrollToBottom();
    trySend(entry, true);
  }

  function frameFor(entry) {
    var frame = {
      type: "message.send",
      conversation: conversationId,
      client_key: entry.client_key,
      body: entry.body,
      attachment_ids: entry.attachment_ids,
    };
    if (entry.card) frame.card = entry.card;
    return frame;
  }

  function trySend(entry, force) {
    if (entry.state !== "pending" || entry.waitUntil > Date.now()) return;
    if (socketIsOpen()) {
      if (entry.sentOn === socketGeneration && !force) return;
      entry.sentOn = socketGeneration;
      socket.send(JSON.stringify(frameFor(entry)));
    } else if (mode === "http") {
      sendOverHttp(entry);
    }
    // Otherwise it waits for the socket to open (or for the HTTP fallback).
  }

  function flushOutbox() {
    outbox.forEach(function (entry) {
      trySend(entry, false);
    });
  }

  function retryLater(entry, seconds) {
    entry.waitUntil = Date.now() + seconds * 1000;
    entry.sentOn = null;
    window.setTimeout(function () {
      entry.waitUntil = 0;
      trySend(entry, true);
    }, seconds * 1000 + 50);
  }

  function fail(entry, text) {
    entry.state = "failed";
    entry.error = text;
    saveOutbox();
    showPending(entry);
  }

  function acknowledged(key, data) {
    var entry = outboxEntry(key);
    if (entry) entry.state = "sent";
    receive(data);
  }

  function sendOverHttp(entry) {
    if (entry.httpInFlight) return;
    entry.httpInFlight = true;
    request("POST", conversationUrl + "/messages", {
      client_key: entry.client_key,
      body: entry.body,
      attachment_ids: entry.attachment_ids,
      card: entry.card,
    }).then(function (result) {
      entry.httpInFlight = false;
      if (result.ok && result.data) {
        acknowledged(entry.client_key, result.data);
      } else if (result.status === 429) {
        retryLater(entry, (result.data && result.data.retry_after) || 5);
      } else if (result.status === 0 || result.status >= 500) {
        retryLater(entry, 3);
      } else {
        fail(entry, problemText(result.data, "the server refused it."));
      }
    });
  }

  // --- The socket, and HTTP when there is none ----------------------------------------------

  var socket = null;
  var socketGeneration = 0;
  var failedTries = 0;
  var reconnectDelay = 1000;
  var mode = "connecting"; // "socket" once open; "http" while falling back
  var pollTimer = null;
  var pingTimer = null;
  var settleTimer = null;
  var syncing = false;
  var syncAgain = false;

  function socketIsOpen() {
    return socket !== null && socket.readyState === 1;
  }

  function setMode(value) {
    mode = value;
    document.body.dataset.messagingMode = value;
  }

  function setConnection(text) {
    if (dom.connection.textContent !== text) dom.connection.textContent = text;
  }

  function connect() {
    if (!("WebSocket" in window)) {
      startFallback();
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new window.WebSocket(scheme + window.location.host + config.socketPath);
    } catch (error) {
      socketFailed(false);
      return;
    }
    socket = ws;
    var opened = false;
    ws.addEventListener("open", function () {
      if (socket !== ws) return;
      opened = true;
      socketGeneration += 1;
      failedTries = 0;
      reconnectDelay = 1000;
      document.body.dataset.eventsConnected = "true";
      stopFallback();
      setMode("socket");
      setConnection("");
      syncing = false;
      syncAgain = false;
      catchUp();
      flushOutbox();
      scheduleMarks();
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(catchUp, HEARTBEAT_SYNC_MS);
    });
    ws.addEventListener("message", function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (event && typeof event.type === "string") handleEvent(event);
    });
    ws.addEventListener("close", function (closeEvent) {
      if (socket !== ws) return;
      socket = null;
      window.clearInterval(pingTimer);
      document.body.dataset.eventsConnected = "false";
      if (closeEvent.code === 4401) {
        setConnection("You are signed out. Sign in again to keep writing.");
        return;
      }
      socketFailed(opened);
    });
  }

  function socketFailed(wasOpen) {
    if (!wasOpen) failedTries += 1;
    if (failedTries >= SOCKET_TRIES) startFallback();
    else if (mode === "socket") setConnection("Reconnecting\u2026");
    window.setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, mode === "http" ? 30000 : 8000);
  }

  function startFallback() {
    if (mode === "http") return;
    setMode("http");
    setConnection("Live connection unavailable: checking for new messages every few seconds.");
    poll();
    pollTimer = window.setInterval(poll, POLL_MS);
    outbox.forEach(function (entry) {
      entry.sentOn = null;
    });
    flushOutbox();
  }

  function stopFallback() {
    if (pollTimer !== null) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function catchUp() {
    if (socketIsOpen()) {
      if (syncing) {
        syncAgain = true; // what arrives meanwhile may lie beyond this answer
        return;
      }
      syncing = true;
      socket.send(
        JSON.stringify({ type: "conversation.sync", conversation: conversationId, after: lastSeq })
      );
    } else if (mode === "http") {
      poll();
    }
  }

  var polling = false;

  function poll() {
    if (polling || mode !== "http") return;
    polling = true;
    request("GET", conversationUrl + "/messages?after=" + lastSeq + "&limit=100").then(function (result) {
      polling = false;
      if (result.ok && result.data) {
        result.data.messages.forEach(receive);
        if (result.data.has_more) {
          poll();
          return;
        }
      }
      flushOutbox();
      request("GET", conversationUrl).then(function (detail) {
        if (detail.ok && detail.data && detail.data.members) {
          detail.data.members.forEach(function (member) {
            members[member.user] = member;
          });
          refreshReceipts();
        }
      });
    });
  }

  function handleEvent(event) {
    switch (event.type) {
      case "message.ack":
        acknowledged(event.client_key, event.message);
        return;
      case "conversation.messages":
        if (event.conversation !== conversationId) return;
        syncing = false;
        event.messages.forEach(receive);
        if (event.has_more || syncAgain) {
          syncAgain = false;
          catchUp();
        }
        return;
      case "error":
        onError(event);
        return;
      case "pong":
        return;
      case "message.created":
        receive(event.message);
        if (event.message.conversation === conversationId) {
          window.clearTimeout(settleTimer);
          settleTimer = window.setTimeout(catchUp, SETTLE_SYNC_MS);
        }
        break;
      case "message.updated":
        update(event.message);
        break;
      case "conversation.state":
        if (event.conversation === conversationId) {
          var member = members[event.user] || { user: event.user, display_name: "" };
          member.delivered = event.delivered;
          member.read = event.read;
          members[event.user] = member;
          if (event.user === me) {
            readSent = Math.max(readSent, event.read);
            deliveredSent = Math.max(deliveredSent, event.delivered);
          }
          refreshReceipts();
        }
        break;
      case "conversation.typing":
        if (event.conversation === conversationId && event.user !== me) startTyping(event.user, event.name);
        break;
      case "notification.created":
        if (window.Trellis && typeof event.unread_count === "number") window.Trellis.updateBell(event.unread_count);
        break;
      default:
        break;
    }
    // This page's socket stands in for trellis.js's: hand every event on the same way.
    document.dispatchEvent(new CustomEvent("trellis:event", { detail: event }));
  }

  function onError(event) {
    var entry = event.client_key ? outboxEntry(event.client_key) : null;
    if (!entry) {
      syncing = false;
      if (event.code === "not_found") setConnection("This conversation is no longer open to you.");
      return;
    }
    if (event.code === "rate_limited") retryLater(entry, event.retry_after || 5);
    else if (event.code === "unavailable") retryLater(entry, 3);
    else fail(entry, problemText(event, "the server refused it."));
  }

  // --- Delivered and read ------------------------------------------------------------------

  var marksTimer = null;

  function scheduleMarks() {
    if (marksTimer === null) marksTimer = window.setTimeout(sendMarks, 150);
  }

  function lastVisibleSeq() {
    if (document.visibilityState !== "visible") return 0;
    var box = dom.log.getBoundingClientRect();
    var top = Math.max(box.top, 0);
    var bottom = Math.min(box.bottom, window.innerHeight);
    var nodes = dom.list.querySelectorAll("li[data-seq]");
    for (var i = nodes.length - 1; i >= 0; i -= 1) {
      var rect = nodes[i].getBoundingClientRect();
      if (rect.top < bottom && rect.bottom > top && rect.height > 0) return Number(nodes[i].dataset.seq);
    }
    return 0;
  }

  function mark(kind, seq) {
    if (socketIsOpen()) {
      socket.send(JSON.stringify({ type: "conversation." + kind, conversation: conversationId, seq: seq }));
    } else if (mode === "http") {
      request("POST", conversationUrl + "/" + kind, { seq: seq }).then(function (result) {
        if (result.ok && result.data && result.data.members) {
          result.data.members.forEach(function (member) {
            members[member.user] = member;
          });
          refreshReceipts();
        }
        document.dispatchEvent(new CustomEvent("messaging:unread-changed"));
      });
    } else {
      return false;
    }
    return true;
  }

  function sendMarks() {
    marksTimer = null;
    var visible = Math.min(lastVisibleSeq(), lastSeq);
    if (visible > readSent && mark("read", visible)) {
      readSent = visible;
      deliveredSent = Math.max(deliveredSent, visible);
    }
    if (lastSeq > deliveredSent && mark("delivered", lastSeq)) deliveredSent = lastSeq;
  }

  // --- Typing ----------------------------------------------------------------------------

  var typers = {}; // user id -> {name, until}
  var typingSentAt = 0;

  function renderTyping() {
    var now = Date.now();
    var names = Object.keys(typers)
      .filter(function (id) {
        return typers[id].until > now;
      })
      .map(function (id) {
        return typers[id].name;
      });
    var text = "";
    if (names.length === 1) text = names[0] + " is typing\u2026";
    else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing\u2026";
    else if (names.length > 2) text = "Several people are typing\u2026";
    if (dom.typing.textContent !== text) dom.typing.textContent = text;
  }

  function startTyping(userId, name) {
    typers[userId] = { name: name, until: Date.now() + TYPING_SHOWN_MS };
    renderTyping();
    window.setTimeout(renderTyping, TYPING_SHOWN_MS + 50);
  }

  function stopTyping(userId) {
    if (typers[userId]) {
      delete typers[userId];
      renderTyping();
    }
  }

  // --- Edit and delete ----------------------------------------------------------------------

  function startEdit(item, data) {
    if (item.querySelector("form")) return;
    var form = el("form", "chat-edit");
    var fieldId = "edit-" + data.seq;
    var label = el("label", null, "Edit message");
    label.htmlFor = fieldId;
    var field = el("textarea");
    field.id = fieldId;
    field.value = data.body;
    var problem = el("p", "errorlist");
    problem.setAttribute("role", "alert");
    var buttons = el("div", "actions");
    var save = el("button", null, "Save");
    save.type = "submit";
    var cancel = el("button", "button--secondary", "Cancel");
    cancel.type = "button";
    buttons.append(save, cancel);
    form.append(label, field, problem, buttons);
    var body = item.querySelector(".chat-message__body");
    var actions = item.querySelector(".chat-message__actions");
    if (body) body.hidden = true;
    if (actions) actions.hidden = true;
    item.insertBefore(form, item.querySelector("[data-receipt]"));
    field.focus();
    cancel.addEventListener("click", function () {
      form.remove();
      if (body) body.hidden = false;
      if (actions) actions.hidden = false;
    });
    form.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      save.disabled = true;
      request("PATCH", api + "/messages/" + data.id, { body: field.value }).then(function (result) {
        save.disabled = false;
        if (result.ok && result.data) update(result.data);
        else problem.textContent = problemText(result.data, "Could not save the change; try again.");
      });
    });
  }

  function confirmDelete(item, data, actions) {
    if (item.querySelector("[data-confirm-delete]")) return;
    var ask = el("div", "chat-message__actions");
    ask.dataset.confirmDelete = "";
    var question = el("span", null, "Delete this message?");
    var yes = el("button", "link-button", "Yes, delete");
    yes.type = "button";
    var no = el("button", "link-button", "Keep it");
    no.type = "button";
    ask.append(question, yes, no);
    actions.hidden = true;
    item.appendChild(ask);
    yes.focus();
    no.addEventListener("click", function () {
      ask.remove();
      actions.hidden = false;
    });
    yes.addEventListener("click", function () {
      yes.disabled = true;
      request("DELETE", api + "/messages/" + data.id).then(function (result) {
        if (result.ok && result.data) {
          update(result.data);
        } else {
          question.textContent = problemText(result.data, "Could not delete it; try again.");
          yes.disabled = false;
        }
      });
    });
  }

  // --- History and search -----------------------------------------------------------------

  var loadingEarlier = null;

  function loadEarlier() {
    if (!hasEarlier) return Promise.resolve();
    if (loadingEarlier) return loadingEarlier;
    dom.earlier.disabled = true;
    loadingEarlier = request("GET", conversationUrl + "/messages?before=" + firstSeq + "&limit=50").then(
      function (result) {
        loadingEarlier = null;
        dom.earlier.disabled = false;
        if (!result.ok || !result.data) return;
        var previousHeight = dom.log.scrollHeight;
        var fragment = document.createDocumentFragment();
        result.data.messages.forEach(function (data) {
          if (nodeForSeq(data.seq)) return;
          messages.set(data.seq, data);
          fragment.appendChild(renderMessage(data));
        });
        dom.list.insertBefore(fragment, dom.list.firstChild);
        if (result.data.messages.length) firstSeq = result.data.messages[0].seq;
        hasEarlier = result.data.has_more;
        dom.earlier.hidden = !hasEarlier;
        dom.log.scrollTop += dom.log.scrollHeight - previousHeight;
        updateEmpty();
      }
    );
    return loadingEarlier;
  }

  function jumpTo(seq) {
    function reveal() {
      var node = nodeForSeq(seq);
      if (node) {
        dom.list.querySelectorAll(".chat-message--found").forEach(function (other) {
          other.classList.remove("chat-message--found");
        });
        node.classList.add("chat-message--found");
        node.tabIndex = -1;
        node.scrollIntoView({ block: "center" });
        node.focus({ preventScroll: true });
        return Promise.resolve();
      }
      if (seq < firstSeq && hasEarlier) return loadEarlier().then(reveal);
      return Promise.resolve();
    }
    return reveal();
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function highlighted(text, words) {
    var fragment = document.createDocumentFragment();
    if (!words.length) {
      fragment.appendChild(document.createTextNode(text));
      return fragment;
    }
    var pattern = new RegExp("(" + words.map(escapeRegExp).join("|") + ")", "gi");
    text.split(pattern).forEach(function (part, index) {
      if (!part) return;
      if (index % 2 === 1) fragment.appendChild(el("mark", null, part));
      else fragment.appendChild(document.createTextNode(part));
    });
    return fragment;
  }

  function snippet(text, words) {
    var flat = text.replace(/\s+/g, " ").trim();
    if (flat.length <= 160) return flat;
    var lower = flat.toLowerCase();
    var at = words.length ? lower.indexOf(words[0].toLowerCase()) : 0;
    var start = Math.max(0, at - 60);
    return (start ? "\u2026" : "") + flat.slice(start, start + 160) + "\u2026";
  }

  function search(query) {
    var words = query.split(/\s+/).filter(Boolean);
    dom.searchResults.hidden = false;
    dom.searchStatus.textContent = "Searching\u2026";
    dom.searchList.replaceChildren();
    request("GET", conversationUrl + "/search?q=" + encodeURIComponent(query)).then(function (result) {
      if (!result.ok || !Array.isArray(result.data)) {
        dom.searchStatus.textContent = "Search is not available just now.";
        return;
      }
      var found = result.data;
      dom.searchStatus.textContent = found.length
        ? found.length + (found.length === 1 ? " message found" : " messages found")
        : "No messages match \u201c" + query + "\u201d.";
      found.forEach(function (data) {
        var item = el("li");
        var link = el("a");
        link.href = "#message-" + data.seq;
        link.dataset.jumpTo = String(data.seq);
        link.append(
          el("strong", null, data.sender.display_name),
          ", ",
          timeElement(data.created_at),
          ": ",
          highlighted(snippet(data.body, words), words)
        );
        link.addEventListener("click", function (clickEvent) {
          clickEvent.preventDefault();
          jumpTo(data.seq);
        });
        item.appendChild(link);
        dom.searchList.appendChild(item);
      });
    });
  }

  // --- Composer, files and recordings -------------------------------------------------------

  var uploads = []; // {name, state: "uploading"|"ready"|"failed", data, node}

  function setComposerError(text) {
    if (dom.composerError) dom.composerError.textContent = text;
  }

  function renderUploads() {
    dom.uploads.hidden = uploads.length === 0;
  }

  function upload(file, durationSeconds) {
    var entry = { name: file.name, state: "uploading", data: null, node: el("li") };
    uploads.push(entry);
    var label = el("span", null, file.name);
    var progress = el("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Uploading " + file.name);
    var remove = el("button", "link-button", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", "Remove " + file.name);
    remove.addEventListener("click", function () {
      uploads = uploads.filter(function (other) {
        return other !== entry;
      });
      entry.node.remove();
      if (entry.xhr && entry.state === "uploading") entry.xhr.abort();
      renderUploads();
    });
    entry.node.append(label, progress, remove);
    dom.uploads.appendChild(entry.node);
    renderUploads();
    return new Promise(function (resolve) {
      if (file.size > config.maxAttachmentBytes) {
        entry.state = "failed";
        progress.remove();
        label.textContent = file.name + ": larger than " + sizeLabel(config.maxAttachmentBytes) + ", not sent.";
        resolve(null);
        return;
      }
      var form = new FormData();
      form.append("file", file, file.name);
      if (durationSeconds !== undefined) form.append("duration_seconds", durationSeconds.toFixed(1));
      var xhr = new XMLHttpRequest();
      entry.xhr = xhr;
      xhr.open("POST", conversationUrl + "/attachments");
      xhr.setRequestHeader("X-CSRFToken", config.csrfToken);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (progressEvent) {
        if (progressEvent.lengthComputable) progress.value = Math.round((100 * progressEvent.loaded) / progressEvent.total);
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (error) {
          data = null;
        }
        if (xhr.status === 201 && data) {
          entry.state = "ready";
          entry.data = data;
          progress.remove();
          label.textContent = data.name + " (" + sizeLabel(data.size) + ")";
          resolve(data);
        } else {
          entry.state = "failed";
          progress.remove();
          label.textContent = file.name + ": " + problemText(data, "could not be uploaded.");
          resolve(null);
        }
      });
      xhr.addEventListener("error", function () {
        entry.state = "failed";
        progress.remove();
        label.textContent = file.name + ": the upload failed; check the connection and try again.";
        resolve(null);
      });
      xhr.send(form);
    });
  }

  function sendFromComposer() {
    setComposerError("");
    if (uploads.some(function (entry) { return entry.state === "uploading"; })) {
      setComposerError("Wait for the files to finish uploading.");
      return;
    }
    var ready = uploads.filter(function (entry) {
      return entry.state === "ready";
    });
    var body = dom.input.value;
    if (!body.trim() && !ready.length) return;
    enqueue({
      body: body,
      attachment_ids: ready.map(function (entry) {
        return entry.data.id;
      }),
      attachments: ready.map(function (entry) {
        return entry.data;
      }),
    });
    dom.input.value = "";
    uploads.forEach(function (entry) {
      entry.node.remove();
    });
    uploads = [];
    renderUploads();
  }

  function setUpComposer() {
    if (!dom.composer) return;
    document.querySelectorAll("[data-js-only]").forEach(function (node) {
      node.hidden = false;
    });
    dom.composer.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      sendFromComposer();
    });
    dom.input.addEventListener("keydown", function (keyEvent) {
      if (keyEvent.key !== "Enter" || keyEvent.isComposing) return;
      if (keyEvent.shiftKey || keyEvent.altKey || keyEvent.ctrlKey || keyEvent.metaKey) return;
      keyEvent.preventDefault();
      sendFromComposer();
    });
    dom.input.addEventListener("input", function () {
      var now = Date.now();
      if (!dom.input.value.trim() || now - typingSentAt < TYPING_EVERY_MS || !socketIsOpen()) return;
      typingSentAt = now;
      socket.send(JSON.stringify({ type: "conversation.typing", conversation: conversationId }));
    });
    dom.fileInput.addEventListener("change", function () {
      Array.prototype.forEach.call(dom.fileInput.files, function (file) {
        upload(file);
      });
      dom.fileInput.value = "";
    });
    dom.composer.addEventListener("dragover", function (dragEvent) {
      if (!dragEvent.dataTransfer || Array.prototype.indexOf.call(dragEvent.dataTransfer.types, "Files") < 0) return;
      dragEvent.preventDefault();
      dom.composer.classList.add("chat-composer--dragging");
    });
    dom.composer.addEventListener("dragleave", function () {
      dom.composer.classList.remove("chat-composer--dragging");
    });
    dom.composer.addEventListener("drop", function (dropEvent) {
      dom.composer.classList.remove("chat-composer--dragging");
      if (!dropEvent.dataTransfer || !dropEvent.dataTransfer.files.length) return;
      dropEvent.preventDefault();
      Array.prototype.forEach.call(dropEvent.dataTransfer.files, function (file) {
        upload(file);
      });
    });
    setUpRecorder();
    setUpEventShare();
  }

  var recording = null;

  function recorderType(kind) {
    var candidates =
      kind === "video"
        ? ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"]
        : ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
    for (var i = 0; i < candidates.length; i += 1) {
      if (window.MediaRecorder.isTypeSupported(candidates[i])) return candidates[i];
    }
    return "";
  }

  function finishRecording(kind, chunks, type, seconds) {
    var plain = (type || (kind === "video" ? "video/webm" : "audio/webm")).split(";")[0];
    var extension = plain.split("/")[1] === "mp4" ? "mp4" : plain.split("/")[1];
    var name = (kind === "video" ? "Video message" : "Voice message") + "." + extension;
    var file = new File(chunks, name, { type: type || plain });
    upload(file, seconds).then(function (data) {
      if (!data) return;
      uploads = uploads.filter(function (entry) {
        if (entry.data === data) entry.node.remove();
        return entry.data !== data;
      });
      renderUploads();
      enqueue({ body: "", attachment_ids: [data.id], attachments: [data] });
    });
  }

  function setRecordButtons(disabled) {
    document.querySelectorAll("[data-record]").forEach(function (button) {
      button.disabled = disabled;
    });
  }

  function startRecording(kind) {
    if (recording) return;
    setComposerError("");
    var constraints = kind === "video" ? { audio: true, video: true } : { audio: true };
    navigator.mediaDevices.getUserMedia(constraints).then(
      function (stream) {
        var type = recorderType(kind);
        var recorder = new window.MediaRecorder(stream, type ? { mimeType: type } : undefined);
        var chunks = [];
        var startedAt = Date.now();
        recording = { recorder: recorder, stream: stream, cancelled: false, timer: null, limit: null };
        recorder.addEventListener("dataavailable", function (dataEvent) {
          if (dataEvent.data && dataEvent.data.size) chunks.push(dataEvent.data);
        });
        recorder.addEventListener("stop", function () {
          var current = recording;
          recording = null;
          window.clearInterval(current.timer);
          window.clearTimeout(current.limit);
          stream.getTracks().forEach(function (track) {
            track.stop();
          });
          dom.recorderPreview.srcObject = null;
          dom.recorderPreview.hidden = true;
          dom.recorder.hidden = true;
          setRecordButtons(false);
          if (current.cancelled || !chunks.length) return;
          finishRecording(kind, chunks, recorder.mimeType || type, (Date.now() - startedAt) / 1000);
        });
        dom.recorderLabel.textContent = kind === "video" ? "Recording a video message" : "Recording a voice message";
        dom.recorderTimer.textContent = "0:00";
        dom.recorder.hidden = false;
        setRecordButtons(true);
        if (kind === "video") {
          dom.recorderPreview.hidden = false;
          dom.recorderPreview.srcObject = stream;
          dom.recorderPreview.play().catch(function () {});
        }
        recording.timer = window.setInterval(function () {
          // Whole seconds elapsed, as a stopwatch shows them.
          dom.recorderTimer.textContent = durationLabel(Math.floor((Date.now() - startedAt) / 1000));
        }, 250);
        recording.limit = window.setTimeout(function () {
          if (recorder.state === "recording") recorder.stop();
        }, MAX_RECORDING_MS);
        recorder.start(250);
        dom.recorderStop.focus();
      },
      function (error) {
        setComposerError(
          (kind === "video" ? "Could not use the camera: " : "Could not use the microphone: ") +
            (error && error.message ? error.message : "permission refused.")
        );
      }
    );
  }

  function setUpRecorder() {
    var buttons = document.querySelectorAll("[data-record]");
    var supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
    buttons.forEach(function (button) {
      button.hidden = !supported;
      button.addEventListener("click", function () {
        startRecording(button.dataset.record);
      });
    });
    dom.recorderStop.addEventListener("click", function () {
      if (recording && recording.recorder.state === "recording") recording.recorder.stop();
    });
    dom.recorderCancel.addEventListener("click", function () {
      if (!recording) return;
      recording.cancelled = true;
      if (recording.recorder.state === "recording") recording.recorder.stop();
    });
  }

  function setUpEventShare() {
    if (!dom.eventForm) return;
    dom.eventForm.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      var form = dom.eventForm;
      var title = form.elements.title.value.trim();
      var starts = form.elements.starts.value ? new Date(form.elements.starts.value) : null;
      var ends = form.elements.ends.value ? new Date(form.elements.ends.value) : null;
      var problems = [];
      if (!title) problems.push("Give the event a title.");
      if (!starts || isNaN(starts.getTime())) problems.push("Give the start date and time.");
      if (!ends || isNaN(ends.getTime())) problems.push("Give the end date and time.");
      else if (starts && ends <= starts) problems.push("The event must end after it starts.");
      var url = form.elements.url.value.trim();
      if (url && !isSafeLink(url)) problems.push("Give a link starting with https://.");
      dom.eventError.textContent = problems.join(" ");
      if (problems.length) return;
      enqueue({
        body: "",
        card: {
          title: title,
          starts_at: starts.toISOString(),
          ends_at: ends.toISOString(),
          place: form.elements.place.value.trim(),
          url: url,
        },
      });
      form.reset();
      dom.eventShare.open = false;
    });
  }

  // --- Start ------------------------------------------------------------------------------

  function start() {
    config.messages.forEach(function (data) {
      messages.set(data.seq, data);
      var node = nodeForSeq(data.seq);
      // The server's rendering, redone here so every message has one shape and local times.
      if (node) node.replaceWith(renderMessage(data));
    });
    loadOutbox();
    outbox = outbox.filter(function (entry) {
      var stored = false;
      messages.forEach(function (data) {
        if (data.sender.id === me && data.client_key === entry.client_key) stored = true;
      });
      return !stored;
    });
    saveOutbox();
    outbox.forEach(showPending);
    updateEmpty();

    var target = window.location.hash.match(/^#message-(\d+)$/);
    if (target && nodeForSeq(Number(target[1]))) nodeForSeq(Number(target[1])).scrollIntoView({ block: "center" });
    else scrollToBottom();

    if (dom.earlier) dom.earlier.addEventListener("click", loadEarlier);
    if (dom.searchForm) {
      dom.searchForm.addEventListener("submit", function (submitEvent) {
        submitEvent.preventDefault();
        var query = dom.searchInput.value.trim();
        if (query) search(query);
        else dom.searchResults.hidden = true;
      });
    }
    dom.log.addEventListener("scroll", scheduleMarks, { passive: true });
    document.addEventListener("visibilitychange", scheduleMarks);
    window.addEventListener("focus", scheduleMarks);
    setUpComposer();

    setMode("connecting");
    connect();
    window.setTimeout(function () {
      if (!socketIsOpen()) startFallback();
    }, SOCKET_PATIENCE_MS);
    document.body.dataset.messagingReady = "true";
  }

  start();
})();

// The shared notes editor: a Yjs document synced over the notes websocket (the stock
// y-websocket client, WebsocketProvider) and edited in CodeMirror bound with yCollab.
// Offline, edits stay in the page's Yjs document; when the browser is back online the
// provider reconnects and the sync exchange merges both sides' edits.
import {
  Y,
  WebsocketProvider,
  yCollab,
  yUndoManagerKeymap,
  EditorState,
  EditorView,
  keymap,
  drawSelection,
  defaultKeymap,
  indentWithTab,
  syntaxHighlighting,
  defaultHighlightStyle,
  markdown,
} from "./vendor/collab.min.js";

const STATUS = {
  connected: "Connected — changes are saved as you type",
  readOnly: "Connected — read only",
  offline: "Offline — keep writing; your edits merge when you are back",
  reconnecting: "Reconnecting…",
};
// Why the server closed the socket for good (see trellis/notes/consumers.py).
const CLOSED = {
  4401: "You are signed out. Sign in again to go on writing.",
  4403: "This mentorship has finished: the notes are read only now. Reload the page.",
  4413: "The notes are too long to save this change. Reload the page.",
};
const CLOSED_OTHERWISE = "These notes cannot be opened here any more. Reload the page.";

function start(root) {
  const documentId = root.dataset.documentId;
  const isEditable = root.dataset.editable === "true";
  const statusLine = root.querySelector("[data-notes-status]");
  const peopleLine = root.querySelector("[data-notes-people]");
  const mount = root.querySelector("[data-notes-mount]");

  const doc = new Y.Doc();
  const body = doc.getText("body");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const serverUrl = `${scheme}//${window.location.host}${root.dataset.socketPath}`;
  const provider = new WebsocketProvider(serverUrl, documentId, doc, {
    connect: navigator.onLine !== false,
    // Now and then ask again for what the server has: an edit lost on the way is healed.
    resyncInterval: 30000,
    // Two tabs of one browser sync through the server, as two people do.
    disableBc: true,
  });
  provider.awareness.setLocalStateField("user", {
    name: root.dataset.userName,
    color: root.dataset.userColor,
    colorLight: root.dataset.userColorLight,
  });

  let closedWith = "";
  const say = (text) => {
    if (statusLine.textContent !== text) statusLine.textContent = text;
    root.dataset.status = text === STATUS.connected || text === STATUS.readOnly
      ? "connected"
      : navigator.onLine === false ? "offline" : "connecting";
  };
  const showStatus = () => {
    if (closedWith) say(closedWith);
    else if (navigator.onLine === false) say(STATUS.offline);
    else if (provider.wsconnected) say(isEditable ? STATUS.connected : STATUS.readOnly);
    else say(STATUS.reconnecting);
  };
  provider.on("status", showStatus);
  provider.on("sync", (isSynced) => {
    root.dataset.synced = isSynced ? "true" : "false";
  });
  provider.on("closed", (event) => {
    // The server said no for good (signed out, no longer theirs): stop, and say so.
    closedWith = CLOSED[event.code] || CLOSED_OTHERWISE;
    showStatus();
  });
  window.addEventListener("offline", () => {
    provider.disconnect();
    showStatus();
  });
  window.addEventListener("online", () => {
    if (!closedWith) provider.connect();
    showStatus();
  });

  const showPeople = () => {
    const names = new Set();
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== doc.clientID && state.user && state.user.name) names.add(state.user.name);
    });
    const text = names.size ? `Also here: ${[...names].sort().join(", ")}` : "";
    if (peopleLine.textContent !== text) peopleLine.textContent = text;
    peopleLine.hidden = names.size === 0;
  };
  provider.awareness.on("change", showPeople);

  const undoManager = new Y.UndoManager(body);
  const view = new EditorView({
    state: EditorState.create({
      doc: body.toString(),
      extensions: [
        keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        drawSelection(),
        EditorView.lineWrapping,
        markdown(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        EditorState.readOnly.of(!isEditable),
        EditorView.editable.of(isEditable),
        EditorView.contentAttributes.of({
          "aria-label": isEditable ? "Shared notes, written together" : "Shared notes (read only)",
          "aria-multiline": "true",
        }),
        yCollab(body, provider.awareness, { undoManager }),
      ],
    }),
  });
  mount.replaceChildren(view.dom);
  showStatus();
}

document.querySelectorAll("[data-notes-editor]").forEach(start);

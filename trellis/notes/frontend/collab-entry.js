// The shared-notes editor's building blocks, bundled into one ES module by
// scripts/vendor.sh (static/notes/vendor/collab.min.js). One bundle holds one copy of
// Yjs: y-websocket and y-codemirror.next must share it, or updates are not recognised.
export * as Y from "yjs";
export { WebsocketProvider } from "y-websocket";
export { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
export { EditorState } from "@codemirror/state";
export { EditorView, keymap, placeholder, drawSelection } from "@codemirror/view";
export { defaultKeymap, indentWithTab } from "@codemirror/commands";
export { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
export { markdown } from "@codemirror/lang-markdown";

// The pieces of CodeMirror 6 the workbench uses, as one global (window.MastCM), so the
// page's own script (mast/web/static/workbench.js) needs no build step.
export { EditorState } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, placeholder } from "@codemirror/view";
export { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
export {
  StreamLanguage,
  syntaxHighlighting,
  HighlightStyle,
  defaultHighlightStyle,
  bracketMatching,
} from "@codemirror/language";
export { tags } from "@lezer/highlight";
export {
  autocompletion,
  completionKeymap,
  closeBrackets,
  closeBracketsKeymap,
  startCompletion,
} from "@codemirror/autocomplete";
export { cypher } from "@codemirror/legacy-modes/mode/cypher";

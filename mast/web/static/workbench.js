// The Cypher workbench's editor: the form's <textarea> becomes a CodeMirror 6 editor with
// Cypher highlighting and completion of the graph's labels, relationship types and
// properties (/workbench/vocabulary.json, from mast/schema/graph.py). The textarea stays the
// form field and is kept in step, so the form posts the same way with or without this
// script; without JavaScript the page is a plain textarea form.
(function () {
  "use strict";
  const CM = window.MastCM;
  const area = document.getElementById("wb-cypher");
  const form = document.getElementById("wb-form");
  if (!CM || !area || !form) return;

  function backticked(name) {
    return "`" + name + "`";
  }

  // The label or type a variable was given in the query, as in (p:`Person`) or [r:LIVED_AT].
  function labelOf(doc, variable) {
    const pattern = new RegExp("[(\\[]\\s*" + variable + "\\s*:\\s*`?(\\w+)`?");
    const found = pattern.exec(doc);
    return found ? found[1] : null;
  }

  function completer(vocab) {
    const names = Object.keys(vocab.labels)
      .map((label) => ({ label: backticked(label), type: "class", detail: "label" }))
      .concat(
        Object.entries(vocab.types).map(([type, rel]) => ({
          label: backticked(type),
          type: "type",
          detail: rel.from + " → " + rel.to,
        })),
      );
    const everyProperty = new Set();
    Object.values(vocab.labels).forEach((props) => props.forEach((p) => everyProperty.add(p)));
    Object.values(vocab.types).forEach((rel) => rel.properties.forEach((p) => everyProperty.add(p)));
    const words = vocab.keywords
      .map((k) => ({ label: k, type: "keyword" }))
      .concat(vocab.functions.map((f) => ({ label: f, type: "function", apply: f + "(" })));

    return function (context) {
      // After a colon: a label or relationship type, written in backticks.
      const named = context.matchBefore(/:\s*`?\w*/);
      if (named) {
        const start = named.from + named.text.match(/^:\s*/)[0].length;
        return { from: start, options: names, validFor: /^`?\w*`?$/ };
      }
      // After a dot: the properties of the variable's label, or every property.
      const dotted = context.matchBefore(/(\w+)\.\w*/);
      if (dotted) {
        const variable = dotted.text.split(".")[0];
        const doc = context.state.doc.toString();
        const label = labelOf(doc, variable);
        const props = label && vocab.labels[label]
          ? vocab.labels[label]
          : label && vocab.types[label]
            ? vocab.types[label].properties
            : Array.from(everyProperty).sort();
        return {
          from: dotted.from + variable.length + 1,
          options: props.map((p) => ({ label: p, type: "property", detail: label || "" })),
          validFor: /^\w*$/,
        };
      }
      const word = context.matchBefore(/\w+/);
      if (!word && !context.explicit) return null;
      return { from: word ? word.from : context.pos, options: words, validFor: /^\w*$/ };
    };
  }

  function positionOf(doc, line, column) {
    if (!line) return null;
    const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
    return Math.min(at.from + Math.max((column || 1) - 1, 0), at.to);
  }

  function start(vocab) {
    const label = area.dataset.label || "Cypher";
    const state = CM.EditorState.create({
      doc: area.value,
      extensions: [
        CM.lineNumbers(),
        CM.history(),
        CM.bracketMatching(),
        CM.closeBrackets(),
        CM.StreamLanguage.define(CM.cypher),
        CM.syntaxHighlighting(CM.defaultHighlightStyle),
        CM.autocompletion({ override: [completer(vocab)], icons: false }),
        CM.keymap.of([
          { key: "Mod-Enter", run: () => { form.requestSubmit(document.getElementById("wb-run")); return true; } },
          ...CM.closeBracketsKeymap,
          ...CM.completionKeymap,
          ...CM.historyKeymap,
          ...CM.defaultKeymap,
        ]),
        CM.EditorView.lineWrapping,
        CM.EditorView.contentAttributes.of({
          "aria-label": label,
          "aria-describedby": area.getAttribute("aria-describedby") || "",
          "aria-multiline": "true",
          id: "wb-cypher-editor",
        }),
        CM.EditorView.updateListener.of((update) => {
          if (update.docChanged) area.value = update.state.doc.toString();
        }),
      ],
    });
    const view = new CM.EditorView({ state: state });
    area.hidden = true;
    area.after(view.dom);
    // The label now names the editor, so a click on it lands in the text.
    const named = document.querySelector('label[for="wb-cypher"]');
    if (named) named.htmlFor = "wb-cypher-editor";
    form.addEventListener("submit", () => { area.value = view.state.doc.toString(); });
    // A friendly error's caret: put the cursor where the query went wrong.
    const at = positionOf(view.state.doc, Number(area.dataset.line), Number(area.dataset.column));
    if (at !== null) {
      // Select the word there (a misspelt name), else put the cursor at the place.
      const word = view.state.wordAt(at);
      const selection = word ? { anchor: word.from, head: word.to } : { anchor: at };
      view.dispatch({ selection: selection, scrollIntoView: true });
      view.focus();
    }
    window.mastWorkbench = view; // for the browser test and the console
  }

  fetch("/workbench/vocabulary.json", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then(start)
    .catch(() => { /* the plain textarea still works */ });
})();

// The network explorer. Every expand and connection is a request the server audits.
(function () {
  "use strict";
  var el = document.getElementById("network");
  if (!el || !window.cytoscape) { return; }
  cytoscape.use(cytoscapeFcose);
  var me = el.dataset.person;
  var status = document.getElementById("status");
  var expanded = new Set([me]);
  var cy = cytoscape({
    container: el, maxZoom: 1.6,
    elements: JSON.parse(document.getElementById("network-data").textContent).elements,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-wrap": "wrap",
        "text-max-width": 120, "background-color": "#1d4f91", "width": 22, "height": 22 } },
      { selector: "node[kind = 'home']", style: { "background-color": "#f3f2f1", "border-width": 1,
        "border-color": "#505a5f", "text-valign": "top", "shape": "round-rectangle" } },
      { selector: "node[kind = 'address']", style: { "shape": "square", "background-color": "#505a5f" } },
      { selector: "node#" + CSS.escape(me), style: { "background-color": "#942514", "width": 30, "height": 30 } },
      { selector: "edge", style: { "width": 2, "line-color": "#505a5f", "label": "data(label)",
        "font-size": 9, "curve-style": "bezier" } },
      { selector: "edge[kind = 'event']", style: { "line-style": "dashed" } },
      { selector: "edge[kind = 'path']", style: { "line-color": "#942514", "width": 4 } },
      { selector: ".faded", style: { "opacity": 0.2 } },
      { selector: ":selected", style: { "border-width": 4, "border-color": "#ffdd00" } }
    ]
  });
  function layout() { cy.layout({ name: "fcose", animate: false, nodeDimensionsIncludeLabels: true }).run(); }
  function remember() { history.replaceState(null, "", "#expanded=" + Array.from(expanded).join(",")); }
  var list = document.getElementById("network-list");
  // The page's words in its language (the server's catalogue), with %(name)s filled in.
  var text = JSON.parse(document.getElementById("network-text").textContent);
  function say(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }
  function listed(e) {
    // Keyboard and screen-reader users get every person as a list item with its own button.
    if (e.data.kind !== "person" || list.querySelector('li[data-id="' + CSS.escape(e.data.id) + '"]')) { return; }
    var li = document.createElement("li"), a = document.createElement("a"), b = document.createElement("button");
    li.dataset.id = e.data.id; a.href = "/people/" + encodeURIComponent(e.data.id); a.textContent = e.data.label;
    b.type = "button"; b.className = "small expand-one"; b.dataset.id = e.data.id; b.textContent = text.add_links;
    li.append(a, " ", b); list.append(li);
  }
  list.addEventListener("click", function (ev) {
    var id = ev.target.dataset && ev.target.dataset.id;
    if (id && ev.target.classList.contains("expand-one")) { expand(id); }
  });
  function add(elements) {
    elements.forEach(listed);
    cy.add(elements.filter(function (e) { return cy.getElementById(e.data.id).empty(); }));
    elements.forEach(function (e) {
      if (e.data.parent) { cy.getElementById(e.data.id).move({ parent: e.data.parent }); }
    });
    layout(); filter();
  }
  function expand(id) {
    status.textContent = say(text.loading, { id: id });
    return fetch("/network/" + encodeURIComponent(id) + "/neighbours", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (g) { add(g.elements); expanded.add(id); remember(); status.textContent = ""; })
      .catch(function () { status.textContent = say(text.failed, { id: id }); });
  }
  var agencyPick = document.getElementById("event-agency");
  function agencies() {
    var known = new Set(Array.from(agencyPick.options).map(function (o) { return o.value; }));
    cy.edges("[kind = 'event']").forEach(function (e) {
      (e.data("events") || []).forEach(function (ev) {
        if (ev.agency && !known.has(ev.agency)) {
          known.add(ev.agency); agencyPick.append(new Option(ev.agency, ev.agency));
        }
      });
    });
  }
  function filter() {
    var agency = agencyPick.value, from = document.getElementById("event-from").value,
        to = document.getElementById("event-to").value;
    var related = document.getElementById("show-related").checked,
        events = document.getElementById("show-event").checked;
    cy.edges("[kind = 'related']").style("display", related ? "element" : "none");
    cy.edges("[kind = 'event']").forEach(function (e) {
      var match = (e.data("events") || []).some(function (ev) {
        return (!agency || ev.agency === agency) && (!from || ev.day >= from) && (!to || ev.day <= to);
      });
      e.style("display", events && (match || !(e.data("events") || []).length) ? "element" : "none");
    });
    agencies();
  }
  function selected() { return cy.nodes(":selected[kind = 'person']"); }
  cy.on("select unselect", "node", function () {
    var one = selected().length === 1;
    document.getElementById("expand").disabled = !one;
    document.getElementById("dismiss").disabled = selected().empty();
    cy.elements().removeClass("faded");
    if (one) { cy.elements().difference(selected().closedNeighborhood()).addClass("faded"); }
  });
  document.getElementById("expand").addEventListener("click", function () { expand(selected()[0].id()); });
  document.getElementById("dismiss").addEventListener("click", function () { selected().remove(); });
  document.getElementById("show-related").addEventListener("change", filter);
  document.getElementById("show-event").addEventListener("change", filter);
  ["event-agency", "event-from", "event-to"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", filter);
  });
  document.getElementById("png").addEventListener("click", function () {
    var a = document.createElement("a");
    a.href = cy.png({ full: true, bg: "#ffffff" }); a.download = "network-" + me + ".png"; a.click();
  });
  document.getElementById("csv").addEventListener("click", function () {
    // The server's CSV rule (csv_safe): a cell a spreadsheet would run as a formula gets a
    // leading apostrophe. A partner's name of =HYPERLINK(…) stays text.
    var formula = JSON.parse(document.getElementById("csv-formula-start").textContent);
    var safe = function (v) {
      var t = String(v == null ? "" : v);
      return formula.some(function (c) { return t.startsWith(c); }) ? "'" + t : t;
    };
    var q = function (v) { return '"' + safe(v).replace(/"/g, '""') + '"'; };
    var rows = [["kind", "id", "label", "source", "target"].join(",")];
    cy.nodes().forEach(function (n) { rows.push([n.data("kind"), n.id(), n.data("label"), "", ""].map(q).join(",")); });
    cy.edges().forEach(function (e) { rows.push([e.data("kind"), e.id(), e.data("label"), e.data("source"), e.data("target")].map(q).join(",")); });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
    a.download = "network-" + me + ".csv"; a.click();
  });
  var connect = document.getElementById("connect");
  if (connect) connect.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var other = document.getElementById("other").value.trim();
    status.textContent = text.looking;
    fetch("/network/" + encodeURIComponent(me) + "/connection/" + encodeURIComponent(other), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        if (g.hops == null) { status.textContent = text.none; return; }
        add(g.elements);
        status.textContent = say(text.connected, { hops: g.hops, path: g.path.join(" → ") });
      });
  });
  layout(); filter();
  window.mastNetwork = cy;  // laid out: for the browser tests, and for anyone at the console
  // A deep link reopens a view, but every person it expands is a view recorded under the
  // visitor's name and purpose: past a handful, the visitor is asked first.
  var ASK_PAST = 3;
  function expandAll(ids) {
    return ids.reduce(function (p, id) { return p.then(function () { return expand(id); }); }, Promise.resolve());
  }
  var hash = /#expanded=([^&]*)/.exec(location.hash);
  if (hash) {
    var linked = Array.from(new Set(hash[1].split(",").filter(function (id) { return id && id !== me; })));
    var ask = document.getElementById("deep-link");
    if (linked.length <= ASK_PAST) {
      expandAll(linked);
    } else {
      remember();  // the address bar shows what is open, not what the link asked for
      ask.querySelector(".count").textContent = String(linked.length);
      ask.hidden = false;
      document.getElementById("deep-link-open").addEventListener("click", function () {
        ask.hidden = true; expandAll(linked);
      });
      document.getElementById("deep-link-skip").addEventListener("click", function () { ask.hidden = true; });
      document.getElementById("deep-link-open").focus();
    }
  }
})();

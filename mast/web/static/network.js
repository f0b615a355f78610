// The network explorer. Every expand, search, connection and export is a request the server
// audits. Each link is one edge per pair and kind (routes_network.py), styled by kind as
// the key shows; the filters, the list under the drawing and the exports all read the same
// visible edges, so what is listed or saved is what is drawn.
(function () {
  "use strict";
  var el = document.getElementById("network");
  if (!el || !window.cytoscape) { return; }
  cytoscape.use(cytoscapeFcose);
  var me = el.dataset.person;
  var status = document.getElementById("status");
  var expanded = new Set([me]);
  var text = JSON.parse(document.getElementById("network-text").textContent);
  // Colour and dash by kind: the same as network.css's key (.key-<kind>).
  var LOOK = {
    household: { color: "#1d4f91", dash: [] },
    parent: { color: "#942514", dash: [] },
    sibling: { color: "#00703c", dash: [] },
    partner: { color: "#6f3c97", dash: [] },
    stated: { color: "#505a5f", dash: [2, 3] },
    incident: { color: "#a04000", dash: [7, 4] },
    address: { color: "#0b0c0c", dash: [1, 4] }
  };
  var kindName = {};
  text.kinds.forEach(function (k) { kindName[k.kind] = k.label; });
  var style = [
    { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-wrap": "wrap",
      "text-max-width": 120, "background-color": "#1d4f91", "width": 22, "height": 22 } },
    { selector: "node[kind = 'home']", style: { "background-color": "#f3f2f1", "border-width": 1,
      "border-color": "#505a5f", "text-valign": "top", "shape": "round-rectangle" } },
    { selector: "node[kind = 'hub']", style: { "shape": "hexagon", "background-color": "#505a5f", "width": 34, "height": 34 } },
    { selector: "node[kind = 'address']", style: { "shape": "square", "background-color": "#505a5f" } },
    { selector: "node#" + CSS.escape(me), style: { "background-color": "#942514", "width": 30, "height": 30 } },
    { selector: "edge", style: { "width": 2, "label": "data(label)", "font-size": 9,
      "curve-style": "bezier", "text-background-color": "#ffffff", "text-background-opacity": 0.85,
      "text-background-padding": 1, "text-rotation": "autorotate" } },
    { selector: "edge[kind = 'parent']", style: { "target-arrow-shape": "triangle", "target-arrow-color": "#942514" } },
    { selector: "edge.on-path", style: { "width": 6, "z-index": 10 } },
    { selector: "node.on-path", style: { "border-width": 4, "border-color": "#0b0c0c" } },
    { selector: ".faded", style: { "opacity": 0.2 } },
    { selector: "node.pinned", style: { "border-width": 4, "border-style": "double", "border-color": "#0b0c0c" } },
    { selector: ":selected", style: { "border-width": 4, "border-color": "#ffdd00" } }
  ];
  Object.keys(LOOK).forEach(function (kind) {
    var look = LOOK[kind];
    style.push({ selector: "edge[kind = '" + kind + "']", style: { "line-color": look.color,
      "line-style": look.dash.length ? "dashed" : "solid", "line-dash-pattern": look.dash.length ? look.dash : [6, 3] } });
  });
  var cy = cytoscape({
    container: el, maxZoom: 1.6, style: style,
    elements: JSON.parse(document.getElementById("network-data").textContent).elements
  });
  function layout() { cy.layout({ name: "fcose", animate: false, nodeDimensionsIncludeLabels: true }).run(); }
  // The view's state lives in the query string, not the fragment: a browser never sends a
  // fragment, so a shared link's view would be lost at sign-in, which keeps the page asked
  // for with its query (routes.remember_page). Old `#expanded=` links still open.
  var target = null;  // the person a connection was drawn to
  var hidden = new Set();  // people hidden from the drawing (and the list), until undone
  function remember() {
    var q = new URLSearchParams();
    if (expanded.size > 1) { q.set("expanded", Array.from(expanded).join(",")); }
    var ticks = Array.from(document.querySelectorAll("#kinds input"));
    if (ticks.some(function (i) { return !i.checked; })) {
      q.set("kinds", ticks.filter(function (i) { return i.checked; }).map(function (i) { return i.value; }).join(","));
    }
    [["agency", "event-agency"], ["from", "event-from"], ["to", "event-to"]].forEach(function (f) {
      var v = document.getElementById(f[1]).value;
      if (v) { q.set(f[0], v); }
    });
    if (target) { q.set("with", target); }
    if (hidden.size) { q.set("hide", Array.from(hidden).join(",")); }
    var query = q.toString().replace(/%2C/g, ",");  // ids and kinds, readable
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }
  function say(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }
  function span(e) {  // an edge's dates, in words: "2019-03-01 to 2024-05-02", or one day
    var from = e.data("from"), to = e.data("to");
    if (!from && !to) { return ""; }
    return from === to ? from : say(text.dated, { from: from || "…", to: to || "…" });
  }
  // A link as the list and the path read it. A parent-and-child line is labelled from the
  // parent ("mother"); read from the parent's side, the other one is their child.
  function describe(e, from) {
    var words = e.data("label") || kindName[e.data("kind")];
    if (from && e.data("kind") === "parent" && e.source().id() === from.id()) { words = text.child; }
    if (e.data("label") !== kindName[e.data("kind")]) { words += " (" + kindName[e.data("kind")] + ")"; }
    var when = span(e);
    return when ? words + ", " + when : words;
  }

  // --- filters: kind, agency (of incidents) and a date range, populated from what is drawn ---
  var agencyPick = document.getElementById("event-agency");
  function agencies() {
    var known = new Set(Array.from(agencyPick.options).map(function (o) { return o.value; }));
    cy.edges().forEach(function (e) {
      (e.data("agencies") || []).forEach(function (a) {
        if (!known.has(a)) { known.add(a); agencyPick.append(new Option(a, a)); }
      });
    });
  }
  function shown(e, kinds, agency, from, to) {
    if (e.hasClass("on-path")) { return true; }  // the connection asked for stays drawn
    if (!kinds.has(e.data("kind"))) { return false; }
    var events = e.data("events") || [];
    if (events.length) {
      return events.some(function (ev) {
        return (!agency || ev.agency === agency) && (!from || ev.day >= from) && (!to || ev.day <= to);
      });
    }
    // Not an incident: the agency filter is about incidents; dates overlap the range.
    return (!from || !e.data("to") || e.data("to") >= from) && (!to || !e.data("from") || e.data("from") <= to);
  }
  // --- the time slider: each step is a day something drawn happened; it sets "to" -----------
  var slider = document.getElementById("time"), sliderDay = document.getElementById("time-day");
  var days = [];
  function timeline() {
    var all = new Set();
    cy.edges().forEach(function (e) {
      (e.data("events") || []).forEach(function (ev) { if (ev.day) { all.add(ev.day); } });
      ["from", "to"].forEach(function (k) { if (e.data(k)) { all.add(e.data(k)); } });
    });
    days = Array.from(all).sort();
    var to = document.getElementById("event-to").value;
    var at = to ? days.filter(function (d) { return d <= to; }).length - 1 : days.length - 1;
    slider.max = String(Math.max(days.length - 1, 0));
    slider.value = String(Math.max(at, 0));
    var shownDay = to || days[days.length - 1] || "";
    sliderDay.textContent = shownDay;
    slider.setAttribute("aria-valuetext", shownDay);
  }
  slider.addEventListener("input", function () {
    var i = Number(slider.value);
    if (!days[i]) { return; }
    document.getElementById("event-to").value = i === days.length - 1 ? "" : days[i];
    filter();
  });

  function filter() {
    agencies(); timeline();
    var kinds = new Set(Array.from(document.querySelectorAll("#kinds input:checked")).map(function (i) { return i.value; }));
    var agency = agencyPick.value, from = document.getElementById("event-from").value,
        to = document.getElementById("event-to").value;
    remember();
    cy.batch(function () {
      cy.edges().forEach(function (e) { e.style("display", shown(e, kinds, agency, from, to) ? "element" : "none"); });
      // A person left with no link drawn goes too (the start and everyone on a path stay).
      cy.nodes("[kind = 'person'], [kind = 'address'], [kind = 'hub']").forEach(function (n) {
        var keep = n.id() === me || n.hasClass("on-path") ||
          n.connectedEdges().some(function (e) { return e.style("display") !== "none"; });
        n.style("display", keep ? "element" : "none");
      });
    });
    list();
  }

  // --- the list under the drawing: everyone drawn, with their drawn links --------------------
  var people = document.getElementById("network-list");
  function list() {
    var focused = document.activeElement && people.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    people.textContent = "";
    cy.nodes("[kind = 'person'], [kind = 'hub']").filter(function (n) { return n.style("display") !== "none"; }).forEach(function (n) {
      var li = document.createElement("li"), a = document.createElement("a"), b = document.createElement("button");
      var hub = n.data("kind") === "hub";
      li.dataset.id = n.id(); a.href = "/people/" + encodeURIComponent(n.id()); a.textContent = n.data("label");
      b.type = "button"; b.className = "small expand-one"; b.dataset.id = n.id(); b.textContent = hub ? text.show_all : text.add_links;
      if (hub) { li.append(n.data("label"), " ", b); } else { li.append(a, " ", b); }
      if (n.id() !== me) {
        var h = document.createElement("button");
        h.type = "button"; h.className = "small hide-one"; h.dataset.hide = n.id(); h.textContent = text.hide;
        li.append(" ", h);
      }
      var links = n.connectedEdges().filter(function (e) { return e.style("display") !== "none"; });
      if (links.nonempty() && !hub) {
        var ul = document.createElement("ul");
        links.forEach(function (e) {
          var other = e.source().id() === n.id() ? e.target() : e.source(), item = document.createElement("li");
          item.dataset.kind = e.data("kind");
          item.textContent = other.data("label") + ": " + describe(e, n);
          ul.append(item);
        });
        li.append(ul);
      }
      people.append(li);
    });
    if (focused) {
      var again = people.querySelector('button[data-id="' + CSS.escape(focused) + '"]');
      if (again) { again.focus(); }
    }
  }
  people.addEventListener("click", function (ev) {
    var id = ev.target.dataset && ev.target.dataset.id;
    if (id && ev.target.classList.contains("expand-one")) { expand(id); }
    var gone = ev.target.dataset && ev.target.dataset.hide;
    if (gone) { hide(cy.getElementById(gone)); undoButton.focus(); }
  });

  function add(elements) {  // the elements new to the drawing, for undo
    var added = cy.add(elements.filter(function (e) {
      return cy.getElementById(e.data.id).empty() && !hidden.has(e.data.id);
    }));
    elements.forEach(function (e) {
      if (e.data.parent && !hidden.has(e.data.id)) { cy.getElementById(e.data.id).move({ parent: e.data.parent }); }
    });
    layout(); filter();
    return added;
  }

  // --- pin, hide and undo: each change to the drawing can be taken back, newest first -------
  var undoButton = document.getElementById("undo");
  var done = [];
  function did(step) { done.push(step); undoButton.disabled = false; }
  function hide(nodes) {
    var people = nodes.filter(function (n) { return n.id() !== me; });
    if (people.empty()) { return; }
    people.forEach(function (n) { hidden.add(n.id()); });
    did({ undo: function () {
      people.forEach(function (n) { hidden.delete(n.id()); });
      removed.restore();
    } });
    var removed = people.union(people.connectedEdges()).remove();
    filter();
  }
  function pin(nodes) {
    var loose = nodes.filter(function (n) { return !n.locked(); });
    loose.lock().addClass("pinned");
    did({ undo: function () { loose.unlock().removeClass("pinned"); } });
  }
  function undo() {
    var step = done.pop();
    if (!step) { return; }
    step.undo();
    undoButton.disabled = done.length === 0;
    filter();
  }
  // Expand one hop by kind: only the kinds ticked are asked for. A hub (people met only at
  // incidents, collapsed with a count) is opened by asking for everyone.
  function expand(id) {
    var hub = cy.getElementById(id);
    var everyone = hub.nonempty() && hub.data("kind") === "hub";
    var who = everyone ? hub.data("of") : id;
    var ticks = Array.from(document.querySelectorAll("#kinds input"));
    var query = new URLSearchParams();
    if (ticks.some(function (i) { return !i.checked; })) {
      ticks.filter(function (i) { return i.checked; }).forEach(function (i) { query.append("kind", i.value); });
    }
    if (everyone) { query.set("everyone", "true"); }
    status.textContent = say(text.loading, { id: who });
    return fetch("/network/" + encodeURIComponent(who) + "/neighbours?" + query, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (g) {
        var hubGone = everyone ? hub.remove() : cy.collection();
        var fresh = !expanded.has(who);
        var added = add(g.elements); expanded.add(who); remember(); status.textContent = "";
        did({ undo: function () {
          added.remove(); hubGone.restore();
          if (fresh) { expanded.delete(who); }
        } });
      })
      .catch(function () { status.textContent = say(text.failed, { id: id }); });
  }
  function selected() { return cy.nodes(":selected[kind = 'person'], :selected[kind = 'hub']"); }
  cy.on("select unselect", "node", function () {
    var one = selected().length === 1;
    document.getElementById("expand").disabled = !one;
    document.getElementById("dismiss").disabled = selected().empty();
    document.getElementById("pin").disabled = selected().empty();
    cy.elements().removeClass("faded");
    if (one) { cy.elements().difference(selected().closedNeighborhood()).addClass("faded"); }
  });
  document.getElementById("expand").addEventListener("click", function () { expand(selected()[0].id()); });
  document.getElementById("dismiss").addEventListener("click", function () { hide(selected()); });
  document.getElementById("pin").addEventListener("click", function () { pin(selected()); });
  undoButton.addEventListener("click", undo);
  document.addEventListener("keydown", function (ev) {  // Ctrl+Z (⌘Z), except while typing
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test((ev.target && ev.target.tagName) || "");
    if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey && ev.key.toLowerCase() === "z" && !typing) {
      ev.preventDefault(); undo();
    }
  });
  document.querySelectorAll("#kinds input").forEach(function (i) { i.addEventListener("change", filter); });
  ["event-agency", "event-from", "event-to"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", filter);
  });

  // --- exports: made here, audited by the server (ids only), then saved ----------------------
  function visible() { return cy.elements().filter(function (x) { return x.style("display") !== "none"; }); }
  function audited(form) {
    var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
    var ids = visible().nodes("[kind = 'person']").map(function (n) { return n.id(); });
    return fetch("/network/" + encodeURIComponent(me) + "/export/" + form, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ ids: ids })
    }).then(function (r) { if (!r.ok) { throw new Error(r.status); } });
  }
  function save(href, name) {
    var a = document.createElement("a"); a.href = href; a.download = name; a.click();
  }
  // The picture: the drawing at three times screen resolution, with the title, the key, the
  // date, purpose and who printed it, and the protective marking top and bottom.
  function picture() {
    var SCALE = 3, PAD = 24 * SCALE / 2, LINE = 18 * SCALE / 2;
    var drawing = new Image();
    return new Promise(function (resolve) {
      drawing.onload = function () {
        var kinds = Array.from(new Set(visible().edges().map(function (e) { return e.data("kind"); })));
        var keyWidth = 260 * SCALE / 2;
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(drawing.width + keyWidth + 3 * PAD, 1600);
        canvas.height = Math.max(drawing.height, kinds.length * LINE * 1.6 + LINE * 2) + 6 * LINE + 2 * PAD;
        var c = canvas.getContext("2d");
        c.fillStyle = "#ffffff"; c.fillRect(0, 0, canvas.width, canvas.height);
        c.fillStyle = "#0b0c0c"; c.textBaseline = "top";
        c.font = "bold " + LINE + "px sans-serif"; c.textAlign = "center";
        c.fillText(text.marking, canvas.width / 2, PAD / 2);
        c.fillText(text.marking, canvas.width / 2, canvas.height - PAD / 2 - LINE);
        c.textAlign = "left";
        c.font = "bold " + LINE * 1.3 + "px sans-serif";
        c.fillText(text.title, PAD, PAD / 2 + LINE * 1.6);
        c.font = LINE * 0.8 + "px sans-serif";
        c.fillText(say(text.printed, { when: new Date().toLocaleString(document.documentElement.lang === "cy" ? "cy-GB" : "en-GB") }), PAD, PAD / 2 + LINE * 3.3);
        var top = PAD / 2 + LINE * 5;
        c.drawImage(drawing, PAD, top);
        var x = PAD * 2 + drawing.width, y = top;
        c.font = "bold " + LINE + "px sans-serif"; c.fillText(text.key, x, y); y += LINE * 1.6;
        c.font = LINE * 0.8 + "px sans-serif"; c.lineWidth = 2 * SCALE;
        (kinds.length ? kinds : []).forEach(function (k) {
          c.strokeStyle = LOOK[k].color; c.setLineDash(LOOK[k].dash.map(function (d) { return d * SCALE; }));
          c.beginPath(); c.moveTo(x, y + LINE / 2); c.lineTo(x + 40 * SCALE / 2, y + LINE / 2); c.stroke();
          c.fillText(kindName[k], x + 50 * SCALE / 2, y); y += LINE * 1.6;
        });
        if (!kinds.length) { c.fillText(text.no_links, x, y); }
        window.mastLastPicture = { width: canvas.width, height: canvas.height, title: text.title,
          key: kinds.map(function (k) { return kindName[k]; }), marking: text.marking };
        resolve(canvas.toDataURL("image/png"));
      };
      drawing.src = cy.png({ full: true, bg: "#ffffff", scale: SCALE, maxWidth: 6000, maxHeight: 6000 });
    });
  }
  document.getElementById("png").addEventListener("click", function () {
    audited("png").then(picture).then(function (uri) { save(uri, "network-" + me + ".png"); })
      .catch(function () { status.textContent = text.export_failed || ""; });
  });
  // The PDF: the drawing as a JPEG (within the server's 1 MiB body limit), made into a page
  // with its title, key, date, purpose, printer and marking by the server, which audits it.
  document.getElementById("pdf").addEventListener("click", function () {
    var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
    var shownNow = visible();
    var kinds = Array.from(new Set(shownNow.edges().map(function (e) { return e.data("kind"); })));
    function send(scale) {
      var picture = cy.jpg({ full: true, bg: "#ffffff", scale: scale, quality: 0.85, maxWidth: 3000, maxHeight: 3000 });
      return fetch("/network/" + encodeURIComponent(me) + "/pdf", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ ids: shownNow.nodes("[kind = 'person']").map(function (n) { return n.id(); }),
          kinds: kinds, picture: picture, title: text.name })
      }).then(function (r) {
        if (r.status === 413 && scale > 1) { return send(1); }  // a large drawing: at screen size
        if (!r.ok) { throw new Error(r.status); }
        return r.blob();
      });
    }
    send(2).then(function (pdf) { save(URL.createObjectURL(pdf), "network-" + me + ".pdf"); })
      .catch(function () { status.textContent = text.export_failed || ""; });
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
    var rows = [["kind", "id", "label", "source", "target", "from", "to", "agencies"].join(",")];
    var shownNow = visible();
    shownNow.nodes().forEach(function (n) { rows.push([n.data("kind"), n.id(), n.data("label"), "", "", "", "", ""].map(q).join(",")); });
    shownNow.edges().forEach(function (e) {
      rows.push([e.data("kind"), e.id(), e.data("label"), e.data("source"), e.data("target"),
        e.data("from"), e.data("to"), (e.data("agencies") || []).join("; ")].map(q).join(","));
    });
    audited("csv").then(function () {
      save(URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" })), "network-" + me + ".csv");
    }).catch(function () { status.textContent = text.export_failed || ""; });
  });

  // --- a connection by name: search, pick, draw and list the path ----------------------------
  var connect = document.getElementById("connect");
  var hits = document.getElementById("other-hits");
  function connectTo(other) {
    status.textContent = text.looking;
    target = other;
    fetch("/network/" + encodeURIComponent(me) + "/connection/" + encodeURIComponent(other), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) {
        if (g.hops == null) { status.textContent = text.none; return; }
        cy.elements().unselect().removeClass("on-path faded");  // the path, not a selection, stands out
        var before = target === other ? null : target;
        var added = add(g.elements);
        did({ undo: function () {
          added.remove(); cy.elements().removeClass("on-path faded");
          document.getElementById("path").hidden = true; target = before; status.textContent = "";
        } });
        g.elements.forEach(function (e) { cy.getElementById(e.data.id).addClass("on-path"); });
        cy.elements().not(".on-path").addClass("faded");  // the path stands out until a selection
        filter();
        var names = g.path.map(function (id) { return cy.getElementById(id).data("label") || id; });
        var steps = document.getElementById("path-steps");
        steps.textContent = "";
        g.elements.filter(function (e) { return e.data.path; }).forEach(function (e) {
          var li = document.createElement("li");
          li.dataset.kind = e.data.kind;
          li.textContent = say(text.step, { from: e.data.names[0], to: e.data.names[1], kind: describe(cy.getElementById(e.data.id)) });
          steps.append(li);
        });
        document.getElementById("path").hidden = false;
        status.textContent = say(g.hops === 1 ? text.connected_one : text.connected, { hops: g.hops, path: names.join(" → ") });
      });
  }
  if (connect) {
    connect.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var name = document.getElementById("other").value.trim();
      if (!name) { return; }
      status.textContent = text.searching;
      hits.textContent = "";
      fetch("/network/" + encodeURIComponent(me) + "/find?name=" + encodeURIComponent(name), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (found) {
          status.textContent = found.hits && found.hits.length ? "" : text.no_hits;
          (found.hits || []).forEach(function (h) {
            var li = document.createElement("li"), b = document.createElement("button");
            b.type = "button"; b.className = "small pick"; b.dataset.id = h.id;
            b.textContent = say(text.pick, { name: h.label });
            li.append(b); hits.append(li);
          });
          var first = hits.querySelector("button");
          if (first) { first.focus(); }
        });
    });
    hits.addEventListener("click", function (ev) {
      var id = ev.target.dataset && ev.target.dataset.id;
      if (id) { hits.textContent = ""; connectTo(id); }
    });
  }
  // --- a shared link: its filters first, then what it expanded, then its connection ---------
  var linkedView = new URLSearchParams(location.search);
  var hash = /#expanded=([^&]*)/.exec(location.hash);  // read before filter() rewrites it
  if (linkedView.has("kinds")) {
    var wanted = new Set(linkedView.get("kinds").split(","));
    document.querySelectorAll("#kinds input").forEach(function (i) { i.checked = wanted.has(i.value); });
  }
  [["from", "event-from"], ["to", "event-to"]].forEach(function (f) {
    var v = linkedView.get(f[0]);
    if (v && /^\d{4}-\d{2}-\d{2}$/.test(v)) { document.getElementById(f[1]).value = v; }
  });
  var linkedAgency = linkedView.get("agency");
  if (linkedAgency) {  // the incidents drawn may not name it yet: offered all the same
    if (!Array.from(agencyPick.options).some(function (o) { return o.value === linkedAgency; })) {
      agencyPick.append(new Option(linkedAgency, linkedAgency));
    }
    agencyPick.value = linkedAgency;
  }
  layout(); filter();
  window.mastNetwork = cy;  // laid out: for the browser tests, and for anyone at the console
  // A deep link reopens a view, but every person it expands is a view recorded under the
  // visitor's name and purpose: past a handful, the visitor is asked first.
  var ASK_PAST = 3;
  function expandAll(ids) {
    return ids.reduce(function (p, id) { return p.then(function () { return expand(id); }); }, Promise.resolve());
  }
  var asked = linkedView.get("expanded") || (hash ? hash[1] : "");
  var connection = linkedView.get("with");
  var toHide = (linkedView.get("hide") || "").split(",").filter(function (id) { return id && id !== me; });
  function connectAfter(p) {  // then the link's hidden people go again, and its connection
    return p.then(function () {
      if (toHide.length) { hide(cy.nodes().filter(function (n) { return toHide.indexOf(n.id()) >= 0; })); }
      done = []; undoButton.disabled = true;  // the link's view is where undo starts
      if (connection) { connectTo(connection); }
    });
  }
  if (asked) {
    var linked = Array.from(new Set(asked.split(",").filter(function (id) { return id && id !== me; })));
    var ask = document.getElementById("deep-link");
    if (linked.length <= ASK_PAST) {
      connectAfter(expandAll(linked));
    } else {
      remember();  // the address bar shows what is open, not what the link asked for
      ask.querySelector(".count").textContent = String(linked.length);
      ask.hidden = false;
      document.getElementById("deep-link-open").addEventListener("click", function () {
        ask.hidden = true; connectAfter(expandAll(linked));
      });
      document.getElementById("deep-link-skip").addEventListener("click", function () {
        ask.hidden = true; connectAfter(Promise.resolve());
      });
      document.getElementById("deep-link-open").focus();
    }
  } else {
    connectAfter(Promise.resolve());
  }
})();

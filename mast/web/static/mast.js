// The page's pictures, drawn from JSON the server put in the page (no inline scripts: the
// Content-Security-Policy allows scripts from this site only).
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }
  function timeline() {
    var events = data("chronology-data"), el = document.getElementById("timeline");
    if (!events || !el || !window.vis || !events.length) { return; }
    // On a phone the list with agency chips carries the chronology; lanes need width.
    if (!window.matchMedia("(min-width: 601px)").matches) { return; }
    var lanes = Array.from(new Set(events.map(function (e) { return e.agency; })));
    // Partner text goes in as DOM text nodes: vis-timeline treats a string as HTML, so a
    // category of <a href=…> would otherwise become a live link on every viewer's page.
    var groups = new vis.DataSet(lanes.map(function (a) { return { id: a, content: text(a) }; }));
    var items = new vis.DataSet(events.map(function (e, i) {
      return { id: i, group: e.agency, start: e.at, content: text(e.label),
               title: text(e.label + " — " + e.at) };
    }));
    new vis.Timeline(el, items, groups, { stack: true, zoomKey: "ctrlKey", maxHeight: 420,
                                          format: axisFormat() });
  }
  // vis-timeline names months through its bundled English moment, and a browser's Intl may
  // not know Welsh: the server sends the names in the page's language.
  function axisFormat() {
    var names = data("calendar-names");
    if (!names) { return {}; }
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function d(date) { return date.toDate ? date.toDate() : date; }
    var minor = {
      year: function (t) { return String(t.getFullYear()); },
      month: function (t) { return names.months[t.getMonth()]; },
      week: function (t) { return String(t.getDate()); },
      day: function (t) { return String(t.getDate()); },
      weekday: function (t) { return names.weekdays[t.getDay()] + " " + t.getDate(); }
    };
    var monthYear = function (t) { return names.months_wide[t.getMonth()] + " " + t.getFullYear(); };
    var major = {
      year: function () { return ""; },
      month: function (t) { return String(t.getFullYear()); },
      week: monthYear, day: monthYear, weekday: monthYear
    };
    return {
      minorLabels: function (date, scale) {
        var t = d(date);
        return minor[scale] ? minor[scale](t) : pad(t.getHours()) + ":" + pad(t.getMinutes());
      },
      majorLabels: function (date, scale) {
        var t = d(date);
        return major[scale] ? major[scale](t) : t.getDate() + " " + monthYear(t);
      }
    };
  }
  function activity() {
    var series = data("activity-data"), el = document.getElementById("activity");
    if (!series || !el || !window.Chart) { return; }
    new Chart(el, {
      type: "bar",
      data: { labels: series.labels || series.months, datasets: series.agencies.map(function (a) {
        return { label: a.agency, data: a.counts };
      }) },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  function reportChart() {
    var series = data("report-chart-data"), el = document.getElementById("report-chart");
    if (!series || !el || !window.Chart) { return; }
    new Chart(el, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: series.label, data: series.values }] },
      options: { responsive: true, maintainAspectRatio: false, indexAxis: "y",
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  // A report's slice: bars per period, stacked, each kind of agency in its own colour.
  function sliceChart() {
    var series = data("slice-chart-data"), el = document.getElementById("slice-chart");
    if (!series || !el || !window.Chart) { return; }
    new Chart(el, {
      type: "bar",
      data: { labels: series.labels, datasets: series.datasets },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  // The dashboard's activity: bars per month, stacked, in each kind of agency's colour.
  function weekly() {
    var series = data("weekly-data"), el = document.getElementById("weekly");
    if (!series || !el || !window.Chart || el.dataset.drawn) { return; }
    el.dataset.drawn = "1";
    new Chart(el, {
      type: "bar",
      data: { labels: series.labels, datasets: series.datasets },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { timeline(); activity(); reportChart(); sliceChart(); printButtons(); });
  // Parts loaded later by htmx (the dashboard's weekly chart) draw when they arrive.
  document.addEventListener("htmx:afterSettle", weekly);
})();

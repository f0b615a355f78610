// The search box without a mouse: Down from the box goes to the first result, Up and Down
// move through the results, Up from the first (or Escape) goes back to the box; Enter on
// a result opens it (it is a link). The box has focus on load (autofocus).
(function () {
  "use strict";
  function links() {
    return Array.prototype.slice.call(document.querySelectorAll("#results a.hit-link"));
  }
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    if (!box) { return; }
    var all = links(), at = all.indexOf(document.activeElement);
    if (document.activeElement !== box && at < 0) { return; }
    if (event.key === "ArrowDown" && all.length) {
      all[Math.min(at + 1, all.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && at >= 0) {
      (at === 0 ? box : all[at - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && at >= 0) {
      box.focus();
      event.preventDefault();
    }
  });
})();

// The call viewer's match bar: Previous / Next (or the keys p / n) scroll to the previous / next turn that holds
// a match of the query (data-match, given class match here) and outline it (class current-match). No matches:
// the bar stays hidden.
(function () {
  "use strict";
  var bar = document.getElementById("matchbar");
  var turns = Array.prototype.slice.call(document.querySelectorAll("section.turn[data-match]"));
  turns.forEach(function (t) { t.classList.add("match"); });
  if (!bar || !turns.length) return;
  var status = document.getElementById("match-status");
  var target = document.querySelector("section.turn.target");
  var current = turns.indexOf(target);

  function show(i) {
    if (current >= 0) turns[current].classList.remove("current-match");
    current = (i + turns.length) % turns.length;
    var t = turns[current];
    t.classList.add("current-match");
    t.scrollIntoView({block: "center"});
    if (history.replaceState) history.replaceState(null, "", "#" + t.id);
    status.textContent = "Match " + (current + 1) + " of " + turns.length;
  }

  function step(by) {
    if (current < 0) {
      // from where the reader is: the first match below the top of the window (or above it, going back)
      var below = turns.findIndex(function (t) { return t.getBoundingClientRect().top > 1; });
      if (below < 0) below = turns.length;
      show(by > 0 ? below : below - 1);
    } else {
      show(current + by);
    }
  }

  if (current >= 0) {
    turns[current].classList.add("current-match");
    status.textContent = "Match " + (current + 1) + " of " + turns.length;
  }
  bar.hidden = false;
  document.getElementById("next-match").addEventListener("click", function () { step(1); });
  document.getElementById("prev-match").addEventListener("click", function () { step(-1); });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
    if (e.key === "n") step(1);
    else if (e.key === "p") step(-1);
  });
})();

// The calendar's times are in the production's time zone. When the viewer's own clock reads
// differently (another zone, not merely another name for the same hour), say beside each time
// what it is for them: "(your time: 14 Mar 2027, 19:00, America/New_York)". Nothing else.
(function () {
  "use strict";
  var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var format = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium", timeStyle: "short", timeZone: mine
  });
  function mark() {
    document.querySelectorAll("time[datetime][data-zone]").forEach(function (time) {
      if (!mine || time.dataset.zone === mine || time.dataset.yours) { return; }
      var instant = new Date(time.getAttribute("datetime"));
      if (isNaN(instant.getTime())) { return; }
      var theirs;
      try {
        theirs = new Intl.DateTimeFormat(undefined, {
          dateStyle: "medium", timeStyle: "short", timeZone: time.dataset.zone
        }).format(instant);
      } catch (unknownZone) {
        theirs = "";
      }
      if (theirs === format.format(instant)) { return; }
      var yours = document.createElement("span");
      yours.className = "your-time";
      yours.textContent = " (your time: " + format.format(instant) + ", " + mine + ")";
      time.dataset.yours = "1";
      time.after(yours);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
})();

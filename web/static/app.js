// Progressive enhancement only: every page works without this file.
// - the hold page counts down live, warns a minute before the end (role=alert) and
//   announces the time left to screen readers each minute; "Give me more time" is a
//   plain form that works without it;
// - the site search offers "Use my location" (the browser's geolocation).
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function countdown(section) {
    var expires = Date.parse(section.getAttribute("data-expires"));
    if (isNaN(expires)) { return; }
    var left = section.querySelector("[data-left]");
    var warning = section.querySelector("[data-warning]");
    var announce = section.querySelector("[data-announce]");
    var confirm = document.querySelector("[data-confirm]");
    var lastMinute = null;
    function tick() {
      var ms = expires - Date.now();
      if (ms <= 0) {
        left.textContent = "0:00";
        warning.hidden = false;
        warning.textContent = section.getAttribute("data-msg-expired");
        if (confirm) { confirm.disabled = true; }
        return;
      }
      var s = Math.ceil(ms / 1000);
      var m = Math.floor(s / 60);
      left.textContent = m + ":" + pad(s % 60);
      if (s <= 60) { warning.hidden = false; }
      if (m !== lastMinute && s % 60 === 0 || lastMinute === null) {
        lastMinute = m;
        announce.textContent = m + ":" + pad(s % 60) + " " + section.getAttribute("data-msg-left");
      }
      window.setTimeout(tick, 1000 - (ms % 1000) + 5);
    }
    tick();
  }

  function nearest(button) {
    if (!("geolocation" in navigator)) { return; }
    var form = button.form;
    var status = form.querySelector("[data-near-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-msg-locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("#lat").value = pos.coords.latitude.toFixed(4);
        form.querySelector("#lon").value = pos.coords.longitude.toFixed(4);
        form.submit();
      }, function () {
        status.textContent = button.getAttribute("data-msg-failed");
      }, { timeout: 10000, maximumAge: 600000 });
    });
    // A typed search is not a location search.
    var plain = form.querySelector("[data-clear-location]");
    if (plain) {
      plain.addEventListener("click", function () {
        form.querySelector("#lat").value = "";
        form.querySelector("#lon").value = "";
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-expires]");
    if (section) { countdown(section); }
    var print = document.querySelector("[data-print]");
    if (print && window.print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
    var near = document.querySelector("[data-near]");
    if (near) { nearest(near); }
  });
})();

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

  // The wave's live view: fetch the figures every 5 s (pausable), update numbers and bars.
  function live(section) {
    var url = section.getAttribute("data-live");
    var toggle = section.querySelector("[data-live-toggle]");
    var running = true;
    var timer = null;
    function update() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          data.bars.forEach(function (b) {
            var cell = section.querySelector('[data-figure="' + b.key + '"]');
            if (cell) { cell.textContent = String(b.value); }
            var bar = section.querySelector('[data-bar="' + b.key + '"]');
            if (bar) { bar.setAttribute("width", String(b.width)); }
          });
          section.querySelector("[data-updated]").textContent = data.updated;
        })
        .catch(function () {})
        .then(function () { if (running) { timer = window.setTimeout(update, 5000); } });
    }
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      running = !running;
      toggle.textContent = section.getAttribute(running ? "data-msg-pause" : "data-msg-resume");
      if (running) { update(); } else if (timer) { window.clearTimeout(timer); }
    });
    timer = window.setTimeout(update, 5000);
  }

  // The console's opening-day view: the last minute's figures and the per-minute bars.
  function opening(section) {
    var url = section.getAttribute("data-opening");
    var toggle = section.querySelector("[data-live-toggle]");
    var running = true;
    var timer = null;
    function set(sel, attrs) {
      var el = section.querySelector(sel);
      if (!el) { return; }
      Object.keys(attrs).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    }
    function update() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          Object.keys(data.figures).forEach(function (k) {
            var cell = section.querySelector('[data-od="' + k + '"]');
            if (cell) { cell.textContent = String(data.figures[k]); }
          });
          data.bars.forEach(function (b) {
            set('[data-od-holds="' + b.i + '"]', { y: b.y_holds, height: b.h_holds });
            set('[data-od-bookings="' + b.i + '"]', { y: b.y_bookings, height: b.h_bookings });
          });
          section.querySelector("[data-updated]").textContent = data.updated;
        })
        .catch(function () {})
        .then(function () { if (running) { timer = window.setTimeout(update, 5000); } });
    }
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      running = !running;
      toggle.textContent = section.getAttribute(running ? "data-msg-pause" : "data-msg-resume");
      if (running) { update(); } else if (timer) { window.clearTimeout(timer); }
    });
    timer = window.setTimeout(update, 5000);
  }

  // The waiting room: ask for the place every few seconds (asking keeps it) and show it;
  // at the person's turn, say so and offer the way on (no page change they did not ask
  // for). A change of state (the opening came, the place went) reloads the page.
  function queue(section) {
    var url = section.getAttribute("data-queue");
    var every = Math.max(1, Number(section.getAttribute("data-refresh") || "15")) * 1000;
    var shown = section.getAttribute("data-state");
    function update() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { state: "not_read" }; })
        .catch(function () { return { state: "not_read" }; })
        .then(function (data) {
          section.querySelector("[data-not-updated]").hidden = data.state !== "not_read";
          if (data.state === "admitted") {
            section.querySelector("[data-waiting]").hidden = true;
            var turn = section.querySelector("[data-turn]");
            var link = turn.querySelector("[data-turn-link]");
            link.setAttribute("href", data.back);
            turn.hidden = false;
            link.focus();
            return;
          }
          if (data.state === "none" || (data.state !== "not_read" && data.state !== shown)) {
            window.location.reload();
            return;
          }
          if (data.state === "waiting") {
            var ahead = section.querySelector("[data-ahead]");
            if (ahead) { ahead.textContent = String(data.ahead); }
            var wait = section.querySelector("[data-wait]");
            if (wait) { wait.textContent = data.wait; }
          }
          window.setTimeout(update, every);
        });
    }
    window.setTimeout(update, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var queueView = document.querySelector("[data-queue]");
    if (queueView) { queue(queueView); }
    var openingView = document.querySelector("[data-opening]");
    if (openingView) { opening(openingView); }
    var liveView = document.querySelector("[data-live]");
    if (liveView) { live(liveView); }
    var section = document.querySelector("[data-expires]");
    if (section) { countdown(section); }
    var near = document.querySelector("[data-near]");
    if (near) { nearest(near); }
  });
})();

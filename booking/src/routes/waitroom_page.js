// The waiting-room page: asks for the place every few seconds (asking keeps it), shows
// the figures in the live region, and reloads the page when the state changes (the
// opening came, the turn came, the place went). Its settings are on <body>.
(function () {
  var body = document.body;
  var url = body.getAttribute("data-status");
  var shown = body.getAttribute("data-state");
  var every = Number(body.getAttribute("data-every")) || 15000;
  function waitText(n) {
    if (n === null || n === undefined) { return "Ventetiden kan ikke anslås lige nu."; }
    if (n >= 120) { return "Forventet ventetid: omkring " + Math.ceil(n / 60) + " minutter."; }
    return "Forventet ventetid: omkring " + n + " sekunder.";
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && d.state !== shown) { window.location.reload(); return; }
        if (d && d.state === "waiting") {
          document.getElementById("ahead").textContent = String(d.ahead);
          document.getElementById("wait").textContent = waitText(d.estimated_wait_seconds);
        }
        window.setTimeout(tick, every);
      }, function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
})();

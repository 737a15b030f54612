/* The queue page: every 20 seconds, how many of the tickets shown changed since it was
   drawn; a banner offers to refresh instead of the list moving under the agent's cursor. */
(function () {
  "use strict";
  var banner = document.getElementById("queue-updates");
  if (!banner) return;
  var link = banner.querySelector("a");
  function poll() {
    if (document.hidden) return;
    fetch(banner.dataset.url + "?since=" + encodeURIComponent(banner.dataset.since),
      {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {count: 0}; })
      .then(function (data) {
        if (!data.count) return;
        link.textContent = data.text;
        banner.hidden = false;
      })
      .catch(function () {});
  }
  setInterval(poll, 20000);
})();

/* Staff pages: confirmation before what cannot be undone, and the client picker. Loaded on
   every staff page; inline handlers do not run under the Content-Security-Policy. */
(function () {
  "use strict";

  /* A form with data-confirm asks before it is sent; the question says what will happen. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  /* Client picker: an input with data-client-search="<url>" offers clients found by name,
     email, VAT number or domain; choosing one puts the client's number in the input. */
  function attach(input) {
    var url = input.getAttribute("data-client-search");
    var list = document.createElement("ul");
    var chosen = document.createElement("small");
    var timer = null;
    var results = [];
    var active = -1;
    list.className = "client-suggestions";
    list.id = input.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    chosen.className = "client-chosen";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.parentNode.insertBefore(list, input.nextSibling);
    input.parentNode.insertBefore(chosen, list.nextSibling);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }
    function choose(index) {
      var client = results[index];
      if (!client) { return; }
      input.value = client.id;
      chosen.textContent = client.name + " · " + client.email;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function highlight(index) {
      var items = list.querySelectorAll("li");
      active = (index + items.length) % items.length;
      items.forEach(function (item, position) {
        item.setAttribute("aria-selected", position === active ? "true" : "false");
      });
    }
    function show(found) {
      results = found;
      list.textContent = "";
      found.forEach(function (client, index) {
        var item = document.createElement("li");
        var extra = [client.email, client.vat_number, client.domain].filter(Boolean).join(" · ");
        var strong = document.createElement("strong");
        strong.textContent = client.name;
        item.appendChild(strong);
        item.appendChild(document.createTextNode(" #" + client.id + (extra ? " — " + extra : "")));
        item.setAttribute("role", "option");
        item.id = list.id + "-" + index;
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(item);
      });
      list.hidden = !found.length;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
    }
    input.addEventListener("input", function () {
      var query = input.value.trim();
      chosen.textContent = "";
      clearTimeout(timer);
      if (query.length < 2 || /^\d+$/.test(query)) { close(); return; }
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin",
          headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { clients: [] }; })
          .then(function (data) { if (input.value.trim() === query) { show(data.clients); } })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("input[data-client-search]").forEach(attach);

  /* Browser notifications of client replies, for staff who chose them: every 30 seconds,
     the replies after the last message this browser heard of (kept between pages). */
  var alertsUrl = document.body.getAttribute("data-ticket-alerts");
  if (alertsUrl && "Notification" in window && Notification.permission === "granted") {
    var KEY = "sportello-desk-alerts-after";
    var poll = function () {
      if (document.hidden) return;
      var after = window.localStorage.getItem(KEY);
      fetch(alertsUrl + (after ? "?after=" + encodeURIComponent(after) : ""),
        {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          window.localStorage.setItem(KEY, String(data.last));
          data.alerts.forEach(function (alert) {
            var note = new Notification(alert.title, {body: alert.body, tag: alert.tag});
            note.addEventListener("click", function () {
              window.focus();
              window.location.href = alert.url;
            });
          });
        })
        .catch(function () {});
    };
    poll();
    setInterval(poll, 30000);
  }
})();

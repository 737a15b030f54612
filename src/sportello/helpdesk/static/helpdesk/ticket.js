/* The desk's ticket page: the canned-reply picker, the reply draft kept as it is typed.
   Without scripts the page still works: the canned reply is chosen by reloading the page
   and the draft is only what the browser keeps. */
(function () {
  "use strict";

  var token = document.querySelector("input[name=csrfmiddlewaretoken]");

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}});
  }

  /* Text put in at the cursor of a textarea (or over what is selected), as typing would. */
  function insertAtCursor(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", {bubbles: true}));
  }

  /* --- Canned replies: a searchable list; the text, already filled in for this ticket,
     goes in at the cursor of the reply box. */
  var picker = document.querySelector(".canned-picker");
  if (picker) {
    var area = document.getElementById(picker.dataset.target);
    var toggle = picker.querySelector(".canned-toggle");
    var panel = picker.querySelector(".canned-panel");
    var search = picker.querySelector("input[type=search]");
    var none = picker.querySelector(".canned-none");
    var choices = Array.prototype.slice.call(picker.querySelectorAll(".canned-choice"));
    var plain = document.querySelector(".canned-plain");
    if (plain) plain.hidden = true;
    picker.hidden = false;

    var open = function (show) {
      panel.hidden = !show;
      toggle.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) { search.value = ""; filter(); search.focus(); }
    };
    var visible = function () { return choices.filter(function (b) { return !b.parentNode.hidden; }); };
    var filter = function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      choices.forEach(function (button) {
        var text = (button.textContent + " " + button.dataset.text).toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        button.parentNode.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    };
    toggle.addEventListener("click", function () { open(panel.hidden); });
    search.addEventListener("input", filter);
    picker.addEventListener("keydown", function (event) {
      var list = visible();
      var at = list.indexOf(document.activeElement);
      if (event.key === "Escape") { open(false); toggle.focus(); event.preventDefault(); }
      else if (event.key === "ArrowDown" && list.length) {
        list[(at + 1) % list.length].focus(); event.preventDefault();
      } else if (event.key === "ArrowUp" && list.length) {
        list[at <= 0 ? list.length - 1 : at - 1].focus(); event.preventDefault();
      } else if (event.key === "Enter" && event.target === search && list.length) {
        list[0].click(); event.preventDefault();
      }
    });
    choices.forEach(function (button) {
      button.addEventListener("click", function () {
        open(false);
        if (area) insertAtCursor(area, button.dataset.text);
      });
    });
    document.addEventListener("click", function (event) {
      if (!panel.hidden && !picker.contains(event.target)) open(false);
    });
  }

  /* --- The reply draft: saved three seconds after the last keystroke, and when the page
     is left, for this agent only. */
  var reply = document.getElementById("reply");
  var box = reply && reply.querySelector("textarea[name=body]");
  if (reply && box && reply.dataset.draftUrl) {
    var status = reply.querySelector(".draft-status");
    var timer = null;
    var saved = box.value;
    var save = function () {
      clearTimeout(timer);
      timer = null;
      var text = box.value;
      if (text === saved) return;
      post(reply.dataset.draftUrl, {body: text}).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      }).then(function (data) {
        saved = text;
        if (status) status.textContent = status.dataset.saved + " · " + data.saved;
      }).catch(function () {
        if (status) status.textContent = status.dataset.failed;
      });
    };
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 3000);
    });
    window.addEventListener("pagehide", function () {
      if (timer === null || box.value === saved || !navigator.sendBeacon) return;
      var body = new FormData();
      body.append("body", box.value);
      body.append("csrfmiddlewaretoken", token ? token.value : "");
      navigator.sendBeacon(reply.dataset.draftUrl, body);
    });
    // Sending the reply clears the draft on the server; nothing to save any more.
    box.form.addEventListener("submit", function () { clearTimeout(timer); timer = null; saved = box.value; });
  }

  /* --- Keyboard shortcuts, listed by "?"; never while typing in a field, nor with a
     modifier key (the browser's own shortcuts stay). */
  var dialog = document.getElementById("shortcuts");
  var opener = document.querySelector(".shortcuts-open");
  var showHelp = function () {
    if (dialog && !dialog.open) dialog.showModal();
  };
  if (opener) {
    opener.hidden = false;
    opener.addEventListener("click", showHelp);
  }
  var typing = function (element) {
    if (!element) return false;
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  };
  var focusBox = function (selector) {
    var field = document.querySelector(selector);
    if (!field) return;
    field.scrollIntoView({block: "center"});
    field.focus();
  };
  var follow = function (id) {
    var link = document.getElementById(id);
    if (link) window.location.href = link.href;
  };
  var press = function (selector) {
    var button = document.querySelector(selector);
    if (button) button.click();
  };
  var keys = {
    j: function () { follow("ticket-next"); },
    n: function () { follow("ticket-next"); },
    k: function () { follow("ticket-previous"); },
    p: function () { follow("ticket-previous"); },
    r: function () { focusBox("#reply textarea[name=body]"); },
    i: function () { focusBox("#note textarea"); },
    a: function () { press("#assign-me button"); },
    c: function () { press('.status-actions button[value="closed"]'); },
    "?": showHelp
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  /* --- Answer and close: asked once more in a dialog (the server asks on a page of its
     own when scripts do not run); the files chosen stay with the form. */
  var closing = document.getElementById("confirm-close-reply");
  var replyForm = box && box.form;
  if (closing && replyForm && replyForm.elements.then) {
    replyForm.addEventListener("submit", function (event) {
      if (replyForm.elements.then.value !== "closed" || !box.value.trim() ||
          replyForm.elements.confirmed) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      closing.returnValue = "";
      closing.showModal();
    }, true);
    closing.addEventListener("close", function () {
      if (closing.returnValue !== "yes") return;
      var confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirmed";
      confirmed.value = "1";
      replyForm.appendChild(confirmed);
      replyForm.requestSubmit();
    });
  }

  /* --- Live updates: every 10 seconds, the messages newer than the last one shown
     (client replies, colleagues' answers, notes and changes) are added to the history,
     with a banner, and the ticket's badges and side panel follow; the reply box is left
     alone. */
  var timeline = document.getElementById("timeline");
  var banner = document.getElementById("live-banner");
  if (timeline && timeline.dataset.updatesUrl && banner) {
    var lastShown = function () {
      var last = 0;
      timeline.querySelectorAll("[data-id]").forEach(function (item) {
        last = Math.max(last, parseInt(item.dataset.id, 10) || 0);
      });
      return last;
    };
    var bannerLink = banner.querySelector("a");
    var seenField = document.querySelector("#reply input[name=seen]");
    var refresh = function () {
      if (document.hidden) return;
      fetch(timeline.dataset.updatesUrl + "?after=" + lastShown(),
        {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || !data.messages.length) return;
          var first = null;
          data.messages.forEach(function (message) {
            if (document.getElementById("message-" + message.id)) return;
            var holder = document.createElement("ol");
            holder.innerHTML = message.html;
            var item = holder.querySelector("li");
            if (!item) return;
            item.classList.add("live-new");
            timeline.appendChild(item);
            if (!first) first = item;
          });
          if (!first) return;
          // The status, priority and assignment as they are now; the side panel is left as
          // it is while the agent is using it.
          var badges = document.getElementById("ticket-badges");
          if (badges && data.badges) badges.innerHTML = data.badges;
          var handle = document.getElementById("ticket-handle");
          if (handle && data.handle && !handle.contains(document.activeElement)) {
            handle.outerHTML = data.handle;
          }
          // Shown here: the send is no longer stopped as if the agent had not seen them.
          if (seenField) seenField.value = lastShown();
          bannerLink.href = "#" + first.id;
          banner.hidden = false;
        })
        .catch(function () {});
    };
    bannerLink.addEventListener("click", function () { banner.hidden = true; });
    setInterval(refresh, 10000);
  }
})();

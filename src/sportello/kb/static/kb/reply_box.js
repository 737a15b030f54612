/* The knowledge-base search of a reply box (kb/_reply_box.html). Listeners sit on the
   document, so the results htmx swaps in need no script of their own; the box may be on a
   page more than once, the listeners only once. */
(function () {
  if (window.kbReplyBox) return;
  window.kbReplyBox = true;

  // The search field sits inside the reply form: Enter must not send the reply.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest(".kb-reply-box input[type=search]")) {
      event.preventDefault();
    }
  });

  // "Insert": a Markdown link to the article at the cursor of the reply textarea.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".kb-insert");
    if (!button) return;
    var area = document.getElementById(button.dataset.target);
    if (!area) return;
    var text = "[" + button.dataset.title + "](" + button.dataset.url + ")";
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", {bubbles: true}));
  });
})();

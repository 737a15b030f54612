/* Behaviour of every page. Inline event-handler attributes do not run under the
   Content-Security-Policy, so elements ask for it with data attributes instead. */
document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
  field.addEventListener("change", function () { field.form.submit(); });
});

/* Phone width: each table cell carries its column's heading (data-label), so the CSS can
   show a row as a card of labelled lines; done here for every table, whichever app's
   template wrote it. */
document.querySelectorAll("table").forEach(function (table) {
  var headings = table.querySelectorAll("thead th");
  if (!headings.length) { return; }
  table.classList.add("reflow");
  table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
    var column = 0;
    Array.prototype.forEach.call(row.children, function (cell) {
      var heading = headings[column];
      // A lone cell across the columns is a message ("No other contacts yet."), and the first
      // cell of a totals row names the row ("Total to pay"): neither takes a column's label.
      var first = cell === row.children[0];
      var message = row.children.length === 1 && cell.colSpan > 1;
      if ((message || (first && row.parentNode.tagName === "TFOOT")) && !cell.hasAttribute("data-label")) {
        cell.setAttribute("data-label", "");
      }
      // An empty cell would be an empty labelled line on a phone.
      if (!cell.textContent.trim() && !cell.children.length) { cell.classList.add("blank"); }
      if (heading && !cell.hasAttribute("data-label")) {
        cell.setAttribute("data-label", heading.textContent.trim());
      }
      column += cell.colSpan || 1;
    });
  });
});

/* Phone width: the header's links fold behind a "Menu" button. */
(function () {
  var topbar = document.querySelector(".topbar");
  var nav = topbar && topbar.querySelector(".mainnav");
  if (!nav) { return; }
  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "menu-toggle";
  toggle.textContent = document.documentElement.getAttribute("data-menu-label") || "☰";
  toggle.setAttribute("aria-label", nav.getAttribute("aria-label") || "Menu");
  toggle.setAttribute("aria-expanded", "false");
  nav.id = nav.id || "main-menu";
  toggle.setAttribute("aria-controls", nav.id);
  toggle.addEventListener("click", function () {
    var open = topbar.classList.toggle("menu-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  nav.parentNode.insertBefore(toggle, nav);
})();

/* The header's "More" list closes when the pointer goes elsewhere or Escape is pressed. */
(function () {
  function closeMenus(except) {
    document.querySelectorAll("details.navmore[open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.navmore") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeMenus(null); }
  });
})();

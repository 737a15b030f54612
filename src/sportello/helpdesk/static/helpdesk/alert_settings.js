/* The notification settings: the browser's own permission is asked on a click, as
   browsers require. */
(function () {
  "use strict";
  var box = document.querySelector(".browser-permission");
  if (!box || !("Notification" in window)) return;
  var state = box.querySelector(".permission-state");
  var button = box.querySelector(".ask-permission");
  function show() {
    var permission = Notification.permission;
    button.hidden = permission !== "default";
    state.textContent = permission === "granted" ? box.dataset.granted :
      permission === "denied" ? box.dataset.denied : "";
  }
  box.hidden = false;
  show();
  button.addEventListener("click", function () {
    Notification.requestPermission().then(show);
  });
})();

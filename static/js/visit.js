// Check-in and check-out record where the caregiver is: fill the form's lat/lng from the browser's position,
// then send it. Without a position the form is not sent and the page says what to do.
(function () {
  var script = document.currentScript;
  var status = document.querySelector("[data-position-status]");
  function say(text) { if (status) { status.textContent = text; } }
  document.querySelectorAll("form[data-needs-position]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "yes") { return; }
      event.preventDefault();
      if (!navigator.geolocation) { say(script.dataset.denied); return; }
      say(script.dataset.locating);
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude;
        form.elements.lng.value = position.coords.longitude;
        form.dataset.located = "yes";
        say("");
        form.submit();
      }, function () {
        say(script.dataset.denied);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });
})();

// The branch list's "use my location": the browser's position (WeChat's in-app browser asks the user), sent back
// as ?lat=&lng= so the server sorts by distance. Nothing is stored from here.
(function () {
  "use strict";
  const button = document.getElementById("use-location");
  if (!button) return;
  const note = document.getElementById("location-note");
  const refuse = () => { note.textContent = button.dataset.denied; note.hidden = false; };
  button.addEventListener("click", () => {
    if (!navigator.geolocation) return refuse();
    navigator.geolocation.getCurrentPosition((position) => {
      const url = new URL(window.location.href);
      url.searchParams.set("lat", position.coords.latitude.toFixed(6));
      url.searchParams.set("lng", position.coords.longitude.toFixed(6));
      window.location.assign(url.toString());
    }, refuse, { timeout: 10000, maximumAge: 60000 });
  });
})();

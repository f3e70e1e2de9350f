/* The H5 session ends when the WeChat web view is closed: a hidden page sets the h5_left cookie, a page shown again
   clears it, and a request that still carries it ends the session on the server (h5/oauth.py current_openid). */
(function () {
  "use strict";
  function mark(left) {
    document.cookie = "h5_left=" + (left ? "1" : "0") + "; path=/h5; SameSite=Lax" + (left ? "" : "; max-age=0");
  }
  mark(false);
  window.addEventListener("pageshow", function () { mark(false); });
  window.addEventListener("pagehide", function () { mark(true); });
  document.addEventListener("visibilitychange", function () { mark(document.visibilityState === "hidden"); });
})();

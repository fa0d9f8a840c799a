/* kb returns assistant for shop pages:
 *   <script src="https://KB/embed.js" data-lang="fr"></script>
 * inserts the assistant's iframe right after this script tag and keeps it as tall as its content.
 * Served by kb/returns/embed.py; ES5 syntax, so that it runs on any shop page. */
(function () {
  "use strict";

  var FRAMES = {{ frames | tojson }};
  var FRAMED = {{ framed | tojson }}; // false until KB_EMBED_ORIGINS names the shop
  var HEIGHT_MESSAGE = "kb-embed:height";
  var MAX_HEIGHT = 20000; // a bound, so a broken page cannot make the shop's page endless

  // document.currentScript is only set while this file first runs: read it now.
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  // The KB's origin is where this file came from, whatever the shop's page is.
  var origin = new URL(script.src, document.baseURI).origin;

  function chooseLang() {
    var wanted = (script.getAttribute("data-lang") || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    return Object.prototype.hasOwnProperty.call(FRAMES, wanted) ? wanted : "en";
  }

  var frame = FRAMES[chooseLang()];
  if (!FRAMED) {
    // This shop may not frame the assistant yet: link to the returns hub rather than show a blank frame.
    var link = document.createElement("a");
    link.href = origin + frame.hub;
    link.textContent = frame.link;
    script.parentNode.insertBefore(link, script.nextSibling);
    return;
  }
  var iframe = document.createElement("iframe");
  iframe.src = origin + frame.path;
  iframe.title = frame.title;
  // Set through the CSSOM, which a shop's own CSP allows even when it forbids inline styles.
  iframe.style.display = "block";
  iframe.style.width = "100%";
  iframe.style.border = "0";
  iframe.style.height = "32rem"; // until the assistant reports its real height
  script.parentNode.insertBefore(iframe, script.nextSibling);

  window.addEventListener("message", function (event) {
    // Only our iframe, from the KB's origin, may resize it: other frames on the page are ignored.
    if (event.origin !== origin || event.source !== iframe.contentWindow) { return; }
    var data = event.data;
    if (!data || data.type !== HEIGHT_MESSAGE) { return; }
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0) { return; }
    iframe.style.height = Math.ceil(Math.min(height, MAX_HEIGHT)) + "px";
  });
})();

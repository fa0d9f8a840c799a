// The studio's live preview and slug hint. Progressive enhancement only: without this file
// the "Preview" button re-renders the form with the preview, and an empty slug is made
// from the title on the server.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form) { return; }
  var pane = document.getElementById("preview-pane");
  var body = form.querySelector("textarea[name=body]");
  var endpoint = form.getAttribute("data-preview-url");
  var timer = null;
  var controller = null;

  function language() {
    var select = form.querySelector("select[name=lang]");
    return select ? select.value : form.getAttribute("data-lang");
  }

  // Ask the server, which renders exactly as the public page does (same sanitizer).
  function refresh() {
    var data = new FormData();
    var token = form.querySelector("input[name=csrf_token]");
    if (token) { data.append("csrf_token", token.value); }
    data.append("body", body.value);
    data.append("lang", language());
    if (controller) { controller.abort(); }
    controller = new AbortController();
    pane.setAttribute("aria-busy", "true");
    fetch(endpoint, { method: "POST", body: data, credentials: "same-origin", signal: controller.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error("preview failed: " + response.status); }
        return response.text();
      })
      .then(function (html) {
        pane.innerHTML = html;  // sanitized by the server
        pane.removeAttribute("aria-busy");
        pane.lang = language();
        showEditedPart();
      })
      .catch(function (error) {
        if (error.name !== "AbortError") { pane.removeAttribute("aria-busy"); }
      });
  }

  // Bring the part being edited into view in the preview: the Markdown blocks before the
  // caret (separated by blank lines) match the preview's top-level elements closely enough.
  function showEditedPart() {
    var before = body.value.slice(0, body.selectionStart || 0);
    var blocks = before.split(/\n\s*\n/).filter(function (part) { return part.trim() !== ""; }).length;
    var target = pane.children[Math.max(0, Math.min(blocks - 1, pane.children.length - 1))];
    if (!target) { return; }
    var scroller = pane.parentElement;  // the preview section scrolls on its own on a desktop
    var box = target.getBoundingClientRect();
    if (scroller.scrollHeight > scroller.clientHeight) {
      scroller.scrollTop += box.top - scroller.getBoundingClientRect().top - 16;
    } else if (box.top < 0 || box.bottom > window.innerHeight) {
      target.scrollIntoView({ block: "nearest" });
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  if (pane && body) {
    body.addEventListener("input", later);
    var select = form.querySelector("select[name=lang]");
    if (select) { select.addEventListener("change", refresh); }
  }

  // Show the address an empty slug will get, as the server makes it.
  var title = form.querySelector("input[name=title]");
  var slug = form.querySelector("input[name=slug]");
  function slugify(text) {
    return text.replace(/[œŒ]/g, "oe").replace(/[æÆ]/g, "ae").replace(/ß/g, "ss")
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 120)
      .replace(/-+$/, "");
  }
  if (title && slug) {
    var showSuggestion = function () { slug.placeholder = slugify(title.value); };
    title.addEventListener("input", showSuggestion);
    showSuggestion();
  }
})();

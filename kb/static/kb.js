// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Search suggestions as the shopper types: debounced, keyboard operable (ARIA combobox).
  function setupSuggest(field) {
    var input = field.querySelector("input");
    var list = field.querySelector(".suggestions");
    var endpoint = field.getAttribute("data-suggest");
    var lang = field.getAttribute("data-lang");
    var timer = null, active = -1, items = [], controller = null;

    function close() {
      list.hidden = true; list.innerHTML = ""; items = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); }
    }
    function render(suggestions) {
      list.innerHTML = "";
      items = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = s.title;
        li.dataset.url = s.url;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = s.url; });
        list.appendChild(li);
        return li;
      });
      if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } else { close(); }
    }
    function fetchSuggestions() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(endpoint + "?lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q), { signal: controller.signal })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { render(data.suggestions || []); })
        .catch(function () { /* typing on: a newer request replaced this one */ });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 150); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = items[active].dataset.url; }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll(".search-field[data-suggest]").forEach(setupSuggest);

  // "Was this helpful?" on a cached article page, which holds no CSRF token: the token is fetched
  // when an answer is pressed, the vote posted, and the matching thanks shown in place. On any
  // failure the button does what it does without JavaScript: open the vote page and its form.
  function setupVote(form) {
    var section = form.parentNode;
    var fallback = function (answer) {
      window.location.href = form.action + "?helpful=" + encodeURIComponent(answer);
    };
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) { return; }
      event.preventDefault();
      var answer = button.value;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var json = { credentials: "same-origin", headers: { Accept: "application/json" } };
      fetch(form.getAttribute("data-vote-token"), json)
        .then(function (r) { if (!r.ok) { throw new Error("token"); } return r.json(); })
        .then(function (data) {
          var body = new FormData();
          body.append("helpful", answer);
          body.append("csrf_token", data.csrf_token);
          return fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                                      headers: { Accept: "application/json" } });
        })
        .then(function (r) {
          if (!r.ok) { throw new Error("vote"); }
          var thanks = section.querySelector('template[data-thanks="' + answer + '"]');
          section.replaceChildren(thanks.content.cloneNode(true));
          var outer = document.querySelector('aside[aria-labelledby="need-help-title"]');
          if (answer === "no" && outer) { outer.hidden = true; }  // the thanks holds its own
          section.querySelector(".helpful-thanks").focus();
        })
        .catch(function () { fallback(answer); });
    });
  }

  document.querySelectorAll("form[data-vote-token]").forEach(setupVote);

  // A form of a cached page that posts as it is (the hub's "Resend my link"): it holds no CSRF
  // token, so the visitor's own is fetched and added when it is sent. If that fails, the form
  // is sent without: the refusal shows the form again with a token, as without JavaScript.
  function setupTokenForm(form) {
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending || !window.fetch) { return; }
      event.preventDefault();
      sending = true;
      var send = function () { form.submit(); };
      fetch(form.getAttribute("data-csrf-token"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("token"); } return r.json(); })
        .then(function (data) {
          var field = form.querySelector("input[name=csrf_token]") || document.createElement("input");
          field.type = "hidden";
          field.name = "csrf_token";
          field.value = data.csrf_token;
          form.appendChild(field);
          send();
        })
        .catch(send);
    });
  }

  document.querySelectorAll("form[data-csrf-token]").forEach(setupTokenForm);

  // Print buttons (the return slip).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

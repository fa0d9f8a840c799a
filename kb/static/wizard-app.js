/* The returns assistant on one page, on the JSON API of kb/returns/api.py.
 *
 * Mounts on <div id="wizard-app" data-lang data-api data-strings>. Progressive enhancement:
 * without this script the mount point keeps its link to the page-per-step assistant.
 * No library and no build step. The CSP forbids inline scripts and styles, so handlers are
 * attached here and visibility goes through the `hidden` attribute.
 * Every word comes from the JSON data block named by data-strings (kb/returns/embed.py), so
 * the French catalogue covers the script too.
 * The step is in the URL (?step=items) and the shopper's choices, session token included, in
 * this tab's history entries (history.state): Back, Forward and reload return to the same step
 * with the same choices. No cookie and no storage, so the flow also works in a shop's iframe
 * whose browser blocks third-party cookies; another tab or a shared link starts over, and says so. */
(() => {
  "use strict";

  const root = document.getElementById("wizard-app");
  if (!root || !window.fetch) { return; }
  const block = document.getElementById(root.dataset.strings || "wizard-strings");
  let S;
  try {
    S = JSON.parse(block.textContent);
  } catch (error) {
    return; // no words to speak with: leave the link to the page-per-step assistant in place
  }
  const T = S.text;
  const lang = root.dataset.lang || document.documentElement.lang || "en";
  const apiBase = (root.dataset.api || "/api/v1/returns").replace(/\/+$/, "");
  const pagesUrl = root.dataset.pagesUrl || "";
  // Inside a shop's iframe, pages of the help centre may not be framed: open them in a new tab.
  const framed = window.self !== window.top;
  const MAX_PHOTOS = 3;
  const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  const HEIGHT_MESSAGE = "kb-embed:height"; // what templates/returns/embed.js listens for

  // ---- small helpers ------------------------------------------------------------------------

  /** An element with attributes, properties (`text`, `on`, form state) and children. */
  function h(tag, props, children) {
    const el = document.createElement(tag);
    append(el, children);
    // After the children, so that a <select>'s value finds its <option>.
    Object.entries(props || {}).forEach(([name, value]) => {
      if (value === null || value === undefined || value === false) { return; }
      if (name === "class") { el.className = value; }
      else if (name === "text") { el.textContent = value; }
      else if (name === "on") { Object.entries(value).forEach(([type, fn]) => el.addEventListener(type, fn)); }
      else if (["value", "checked", "disabled", "hidden", "selected"].includes(name)) { el[name] = value; }
      else { el.setAttribute(name, value === true ? "" : String(value)); }
    });
    return el;
  }

  /** Replace an element's children; null entries (parts a step leaves out) are skipped. */
  function fill(el, children) {
    el.replaceChildren();
    append(el, children);
  }

  function append(el, children) {
    [].concat(children === undefined ? [] : children).forEach((child) => {
      if (child === null || child === undefined || child === false) { return; }
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  /** Fill gettext-style placeholders: "Order %(number)s" with {number: "A1001"}. */
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function money(amount, currency) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency }).format(Number(amount));
    } catch (error) {
      return `${amount} ${currency}`;
    }
  }

  /** A date (or date-time) from the API, written out as the server's pages do (in UTC). */
  function longDate(iso) {
    const dateOnly = iso.length === 10;
    let text = dateOnly ? `${iso}T00:00:00` : iso;
    // The API's date-times are UTC, with or without an offset: never read them as local time.
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) { text += "Z"; }
    const value = new Date(text);
    // A calendar date stays that date; a moment is the shop's date (its time zone), as the pages show it.
    const timeZone = dateOnly ? "UTC" : (S.timezone || "UTC");
    try {
      return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", day: "numeric", timeZone }).format(value);
    } catch (error) {
      return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" })
        .format(value);
    }
  }

  function label(list, code) {
    const found = list.find((entry) => entry.code === code);
    return found ? found.label : code;
  }

  /** SKUs become parts of element ids. */
  function idFor(prefix, sku) {
    return `wapp-${prefix}-${sku.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  /** One key per confirmation: the API turns a repeated request into the same ticket. */
  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** A link that leaves the assistant: a new tab when framed, so the flow stays put. */
  function outLink(href, text, props) {
    const attrs = Object.assign({ href }, props || {});
    const children = [text];
    if (framed) {
      attrs.target = "_blank";
      attrs.rel = "noopener";
      children.push(h("span", { class: "visually-hidden", text: ` ${T.new_tab}` }));
    }
    return h("a", attrs, children);
  }

  function field(id, labelText, control, hint) {
    return h("div", { class: "field" }, [
      h("label", { for: id, text: labelText }),
      hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null,
      control,
    ]);
  }

  function select(id, options, value, placeholder) {
    const items = options.map((o) => h("option", { value: o.code, text: o.label }));
    if (placeholder !== undefined) { items.unshift(h("option", { value: "", text: placeholder })); }
    return h("select", { id, name: id, value }, items);
  }

  function checkbox(id, labelText, checked, onChange) {
    return h("div", { class: "field field-check" }, [
      h("input", { type: "checkbox", id, checked, on: { change: onChange } }),
      h("label", { for: id, text: labelText }),
    ]);
  }

  function radios(name, legend, options, value, onChange) {
    return h("fieldset", { class: "wapp-choices" }, [h("legend", { text: legend })].concat(
      options.map((o) => {
        const id = `${name}-${o.code}`;
        return h("div", { class: "field-check" }, [
          h("input", { type: "radio", id, name, value: o.code, checked: o.code === value,
            on: { change: () => onChange(o.code) } }),
          h("label", { for: id, text: o.label }),
        ]);
      })));
  }

  function button(text, onClick, primary, type) {
    return h("button", { type: type || "button", class: primary ? "button button-primary" : "button", text,
      on: onClick ? { click: onClick } : null });
  }

  // ---- the API ------------------------------------------------------------------------------

  function apiError(code, message) {
    const error = new Error(message || code);
    error.code = code;
    error.apiMessage = message || "";
    return error;
  }

  /** POST JSON (or a form) to the API; resolves with the body, rejects with {code, apiMessage}. */
  async function call(path, { json, form, headers } = {}) {
    const init = { method: "POST", headers: Object.assign({ Accept: "application/json" }, headers) };
    if (form) {
      init.body = form; // the browser writes the multipart boundary itself
    } else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(apiBase + path, init);
    } catch (error) {
      throw apiError("network");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null; // a proxy's HTML error page, say
    }
    if (!response.ok) {
      const body = data && data.error;
      const fallback = response.status >= 500 ? "unavailable" : "error";
      throw apiError(body && body.code ? body.code : fallback, body && body.message);
    }
    if (!data) { throw apiError("unavailable"); }
    return data;
  }

  /** The shopper's words for an API error: ours when we know the code, else the API's. */
  function errorWords(error) {
    if (!error.code) { console.error(error); } // a bug here, not an API answer
    return S.errors[error.code] || error.apiMessage || S.errors.unavailable;
  }

  // ---- state --------------------------------------------------------------------------------

  function freshState(previous) {
    return {
      // What the shopper typed to find the order survives a restart, to save typing it again.
      mode: previous ? previous.mode : "number",
      orderNumber: previous ? previous.orderNumber : "",
      transactionId: previous ? previous.transactionId : "",
      email: previous ? previous.email : "",
      token: null, // the wizard session: memory only
      order: null,
      picks: {}, // sku -> {picked, quantity, reason, condition}
      note: "",
      photosSent: 0,
      options: null, // the /options answer
      lines: [], // the items sent to /options, sent again to create the return
      choice: { resolution: "", method: "", store: "", exception: false, variant: "" },
      idempotencyKey: null,
      result: null, // the created return, or {deflected: true}
    };
  }

  let state = freshState();

  // ---- the frame: progress, live region, the current step -------------------------------------

  const progressList = h("ol");
  const live = h("p", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  const stage = h("section", { class: "wapp-step", "aria-labelledby": "wapp-heading" });
  const STEP_BUILDERS = [findStep, itemsStep, helpStep, confirmStep, doneStep];

  function renderProgress(current) {
    fill(progressList, S.steps.map((text, index) => h("li", {
      class: index < current ? "done" : (index === current ? "current" : ""),
      "aria-current": index === current ? "step" : null,
    }, [h("span", { class: "wapp-step-number", "aria-hidden": "true", text: String(index + 1) }), ` ${text}`])));
  }

  function announce(text) {
    // Emptied first so that the same words are read again when a step comes back.
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  // ---- the step in the URL, the choices in the tab's history --------------------------------------

  const STEP_NAMES = ["find", "items", "answers", "confirm", "done"];
  let current = 0;

  function stepUrl(index) {
    const url = new URL(window.location.href);
    if (index === 0) { url.searchParams.delete("step"); } else { url.searchParams.set("step", STEP_NAMES[index]); }
    return url.pathname + url.search + url.hash;
  }

  function snapshot(index) {
    return { kbWizard: 1, step: index, state: JSON.parse(JSON.stringify(state)) };
  }

  /** Keep the current history entry up to date with the shopper's choices (for Back and reload). */
  function remember() {
    try {
      window.history.replaceState(snapshot(current), "", stepUrl(current));
    } catch (error) {
      // A browser refusing history writes (some sandboxed frames): the flow still works, without it.
    }
  }

  /** Where a history entry may lead: a created return stays done, a lost session starts over. */
  function reachable(index) {
    if (state.result && index < 4) { return { index: 4, error: T.already_done }; }
    if (!state.result && index === 4) { return { index: state.options ? 3 : 0 }; }
    if (index >= 1 && !state.token) { return { index: 0, error: index > 0 ? T.cannot_restore : "" }; }
    if (index >= 2 && !state.options) { return { index: 1 }; }
    return { index };
  }

  window.addEventListener("popstate", (event) => {
    const entry = event.state;
    if (!entry || !entry.kbWizard) { return; }
    // Memory holds the newest choices; an entry only brings them back after a reload.
    if (!state.token && !state.result && entry.state) { state = entry.state; }
    const target = reachable(entry.step);
    go(target.index, { error: target.error, fromHistory: true });
  });

  /** Show step `index`; focus its heading, or its error when there is one. */
  function go(index, { error = "", initial = false, fromHistory = false } = {}) {
    const moved = index !== current;
    current = index;
    try {
      if (initial || fromHistory || !moved) {
        window.history.replaceState(snapshot(index), "", stepUrl(index));
      } else {
        window.history.pushState(snapshot(index), "", stepUrl(index));
      }
    } catch (historyError) {
      // As in remember(): no history, no harm.
    }
    renderProgress(index);
    fill(stage, STEP_BUILDERS[index]());
    if (error) {
      showError(error);
    } else if (!initial) {
      stage.querySelector("#wapp-heading").focus();
    }
    if (!initial) {
      announce(format(T.step_of, { number: index + 1, total: S.steps.length, label: S.steps[index] }));
    }
  }

  /** The top of every step: its heading (focused on arrival) and the place for its errors. */
  function stepTop(title, lead) {
    return [
      h("h2", { id: "wapp-heading", tabindex: "-1", text: title }),
      lead ? h("p", { class: "lead", text: lead }) : null,
      h("div", { id: "wapp-error", class: "flash flash-error wapp-error", tabindex: "-1", hidden: true }),
    ];
  }

  function showError(messages) {
    const box = stage.querySelector("#wapp-error");
    const list = [].concat(messages);
    fill(box, list.length === 1 ? h("p", { text: list[0] })
      : h("ul", {}, list.map((m) => h("li", { text: m }))));
    box.hidden = false;
    box.focus();
  }

  function clearError() {
    const box = stage.querySelector("#wapp-error");
    if (box) { box.hidden = true; box.replaceChildren(); }
  }

  /** Run one API exchange with the step's buttons disabled (a double click sends once). */
  async function busy(scope, work) {
    const buttons = Array.from(scope.querySelectorAll("button"));
    buttons.forEach((b) => { b.disabled = true; });
    scope.setAttribute("aria-busy", "true");
    clearError();
    try {
      await work();
    } catch (error) {
      fail(error);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      scope.removeAttribute("aria-busy");
    }
  }

  function fail(error) {
    if (error.code === "session_not_found") {
      restart(T.expired);
      return;
    }
    showError(errorWords(error));
  }

  /** Back to step 1, e.g. when the session expired (an hour without activity). */
  function restart(message) {
    state = freshState(state);
    go(0, { error: message });
  }

  // ---- step 1: find the order -----------------------------------------------------------------

  function findStep() {
    const byNumber = () => state.mode !== "transaction";
    const number = h("input", { id: "wapp-order-number", type: "text", maxlength: "40", autocomplete: "off",
      value: state.orderNumber, "aria-describedby": "wapp-order-number-hint" });
    const transaction = h("input", { id: "wapp-transaction-id", type: "text", maxlength: "80", autocomplete: "off",
      value: state.transactionId, "aria-describedby": "wapp-transaction-id-hint" });
    const email = h("input", { id: "wapp-email", type: "email", maxlength: "254", autocomplete: "email",
      value: state.email });
    const numberField = field("wapp-order-number", T.order_number, number, T.order_number_hint);
    const transactionField = field("wapp-transaction-id", T.transaction_id, transaction, T.transaction_hint);

    function showMode() {
      numberField.hidden = !byNumber();
      transactionField.hidden = byNumber();
    }
    const modes = radios("wapp-mode", T.find_how,
      [{ code: "number", label: T.mode_number }, { code: "transaction", label: T.mode_transaction }],
      state.mode, (mode) => { state.mode = mode; showMode(); });
    modes.classList.add("wapp-modes");
    showMode();

    const form = h("form", { class: "form", novalidate: true }, [
      modes, numberField, transactionField, field("wapp-email", T.email, email),
      h("div", { class: "wapp-actions" }, [button(T.find_submit, null, true, "submit")]),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.orderNumber = number.value.trim();
      state.transactionId = transaction.value.trim();
      state.email = email.value.trim();
      const reference = byNumber() ? number : transaction;
      const problems = [];
      // Checked here too, so that the messages are in the page's language and not the browser's.
      reference.setAttribute("aria-invalid", String(!reference.value.trim()));
      if (!reference.value.trim()) { problems.push(S.errors.missing_order); }
      const emailOk = /^[^@\s]+@[^@\s]+$/.test(state.email);
      email.setAttribute("aria-invalid", String(!emailOk));
      if (!emailOk) { problems.push(S.errors.invalid_email); }
      if (problems.length) { showError(problems); return; }
      const body = { email: state.email, lang };
      if (byNumber()) { body.order_number = state.orderNumber; } else { body.transaction_id = state.transactionId; }
      busy(form, async () => {
        const found = await call("/lookup", { json: body });
        const kept = freshState(state);
        state = Object.assign(kept, { token: found.session, order: found.order });
        go(1);
      });
    });

    return [
      ...stepTop(T.find_title, T.find_lead),
      form,
      pagesUrl ? h("p", { class: "wapp-alt" }, [h("a", { href: pagesUrl, text: T.full_page })]) : null,
    ];
  }

  // ---- step 2: items, quantities, reasons, photos, note ------------------------------------------

  function chosenLines() {
    return state.order.items
      .filter((item) => item.returnable_quantity > 0 && state.picks[item.sku] && state.picks[item.sku].picked)
      .map((item) => {
        const pick = state.picks[item.sku];
        // A parcel that never came has no condition to ask about: the API gets the agreed placeholder.
        const condition = pick.reason === S.missing_reason ? S.missing_condition : pick.condition;
        return { sku: item.sku, quantity: pick.quantity, reason: pick.reason, condition };
      });
  }

  function wantsPhotos() {
    return chosenLines().some((line) => S.seller_fault_reasons.includes(line.reason));
  }

  function itemCard(item, onChange) {
    const order = state.order;
    const meta = [`${money(item.unit_price, order.currency)} · ${format(T.quantity_ordered, { n: item.quantity })}`];
    if (item.final_sale) { meta.push(" · ", h("span", { class: "badge badge-warn", text: T.final_sale })); }
    const card = h("fieldset", { class: "wapp-item" }, [
      h("legend", { text: item.name }),
      h("p", { class: "item-meta muted" }, meta),
    ]);
    if (item.returnable_quantity < 1) {
      append(card, h("p", {}, [h("span", { class: "badge", text: T.already_in_return }), ` ${T.resend_lead}`]));
      append(card, resendLink());
      return card;
    }
    const pick = state.picks[item.sku] ||
      (state.picks[item.sku] = { picked: false, quantity: 1, reason: "", condition: "" });
    pick.quantity = Math.min(Math.max(pick.quantity, 1), item.returnable_quantity);
    const quantities = Array.from({ length: item.returnable_quantity }, (_, i) => ({ code: String(i + 1), label: String(i + 1) }));
    const qty = select(idFor("qty", item.sku), quantities, String(pick.quantity));
    const reason = select(idFor("reason", item.sku), S.reasons, pick.reason, T.choose_reason);
    const condition = select(idFor("condition", item.sku), S.conditions, pick.condition, T.choose_condition);
    qty.addEventListener("change", () => { pick.quantity = Number(qty.value); });
    const conditionField = field(condition.id, T.its_condition, condition);
    const showCondition = () => { conditionField.hidden = pick.reason === S.missing_reason; };
    reason.addEventListener("change", () => { pick.reason = reason.value; showCondition(); onChange(); });
    condition.addEventListener("change", () => { pick.condition = condition.value; });
    showCondition();
    const choices = h("div", { class: "wapp-item-choices", hidden: !pick.picked }, [
      field(qty.id, T.how_many, qty), field(reason.id, T.why, reason), conditionField,
    ]);
    append(card, [
      checkbox(idFor("pick", item.sku), T.pick, pick.picked, (event) => {
        pick.picked = event.target.checked;
        choices.hidden = !pick.picked;
        onChange();
      }),
      choices,
    ]);
    return card;
  }

  /** "Resend my link": the order's return links go again to the address on the order. */
  function resendLink() {
    const done = h("p", { class: "muted", role: "status" });
    const row = h("div", { class: "wapp-resend" }, [done]);
    const again = button(T.resend, () => busy(row, async () => {
      await call("/resend", { json: { order_number: state.order.number, email: state.email, lang } });
      done.textContent = T.resend_done;
      again.remove();
    }));
    row.insertBefore(again, done);
    return row;
  }

  function itemsStep() {
    const order = state.order;
    let lead = format(T.order_line, { number: order.number, date: longDate(order.placed_at) });
    if (order.seller) { lead += ` ${format(T.seller_line, { seller: order.seller })}`; }

    const photoInput = h("input", { id: "wapp-photos", type: "file", multiple: true,
      accept: "image/jpeg,image/png,image/webp", "aria-describedby": "wapp-photos-hint" });
    const photoField = field("wapp-photos", T.photos, photoInput, T.photos_hint);
    if (state.photosSent) {
      append(photoField, h("p", { class: "hint", text: format(T.photos_sent, { count: state.photosSent }) }));
    }
    // Photos only help with a fault, damage or a wrong item: offer them for those reasons only.
    const updatePhotos = () => { photoField.hidden = !wantsPhotos(); };
    updatePhotos();

    const note = h("textarea", { id: "wapp-note", maxlength: "2000", value: state.note });
    note.addEventListener("input", () => { state.note = note.value; });

    const form = h("form", { class: "wapp-items", novalidate: true }, [
      ...order.items.map((item) => itemCard(item, updatePhotos)),
      photoField,
      field("wapp-note", T.note, note),
      h("div", { class: "wapp-actions" }, [
        button(T.back, () => go(0)),
        button(T.continue, null, true, "submit"),
      ]),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const lines = chosenLines();
      const names = Object.fromEntries(order.items.map((item) => [item.sku, item.name]));
      const problems = [];
      if (!lines.length) { problems.push(T.pick_one); }
      lines.forEach((line) => {
        if (!line.reason) { problems.push(format(T.pick_reason, { name: names[line.sku] })); }
        if (!line.condition) { problems.push(format(T.pick_condition, { name: names[line.sku] })); }
      });
      const files = photoField.hidden ? [] : Array.from(photoInput.files);
      if (files.length + state.photosSent > MAX_PHOTOS) { problems.push(S.errors.too_many_photos); }
      if (files.some((file) => file.size > MAX_PHOTO_BYTES)) { problems.push(S.errors.photo_too_large); }
      if (problems.length) { showError(problems); return; }
      busy(form, async () => {
        const options = await call("/options", { json: { session: state.token, items: lines, note: state.note } });
        state.options = options;
        state.lines = lines;
        if (files.length) {
          const upload = new FormData();
          upload.append("session", state.token);
          files.forEach((file) => upload.append("photo", file, file.name));
          await call("/photos", { form: upload });
          state.photosSent += files.length;
          photoInput.value = ""; // sent: going back and on must not send them twice
        }
        go(2);
      });
    });
    return [...stepTop(T.items_title, lead), form];
  }

  // ---- step 3: self-help ----------------------------------------------------------------------

  function decisionItem(item) {
    const lines = [
      h("h3", {}, [item.name, " ", h("span", { class: "muted", text: `× ${item.quantity}` })]),
      h("p", { class: "answer" }, [h("strong", { text: S.answers[item.answer_code] || "" })]),
    ];
    if (item.eligible) {
      if (item.window_ends) { lines.push(h("p", { text: format(T.until, { date: longDate(item.window_ends) }) })); }
      const e = item.estimate;
      if (e && Number(e.total) > 0) {
        let text = format(T.estimated, { amount: money(e.total, e.currency) });
        if (Number(e.fee) > 0) { text += ` (${format(T.after_fee, { fee: money(e.fee, e.currency) })})`; }
        lines.push(h("p", { text }));
      }
      if (item.needs_review) { lines.push(h("p", { class: "muted", text: T.review })); }
    } else if (item.window_ends && item.not_eligible_reason === "too_early") {
      // A refused line says why once, in its answer above; only the day claims open is added.
      lines.push(h("p", { text: format(T.report_from, { date: longDate(item.window_ends) }) }));
    }
    return h("li", { class: `wapp-decision${item.eligible ? "" : " wapp-decision-no"}` }, lines);
  }

  function helpStep() {
    const result = state.options;
    const articles = result.articles.length
      ? h("ul", { class: "cards" }, result.articles.map((article) => h("li", { class: "card" }, [
        // Articles open in a new tab, so the assistant stays where the shopper left it.
        h("a", { href: article.url, target: "_blank", rel: "noopener" }, [
          h("span", { class: "card-title", text: article.title }),
          h("span", { class: "visually-hidden", text: ` ${T.new_tab}` }),
        ]),
      ])))
      : h("p", { class: "empty", text: T.no_articles });
    const actions = h("div", { class: "wapp-actions" }, [
      button(T.back, () => go(1)),
      button(T.solved, () => busy(actions, async () => {
        const body = { session: state.token };
        if (result.articles.length) { body.article_key = result.articles[0].key; }
        await call("/deflect", { json: body });
        state.token = null; // the session ended as solved
        state.result = { deflected: true };
        go(4);
      })),
      button(state.lines.every((line) => line.reason === S.missing_reason) ? T.report_missing : T.still_return, () => {
        state.idempotencyKey = newIdempotencyKey();
        go(3);
      }, true),
    ]);
    return [
      ...stepTop(T.help_title),
      h("ul", { class: "wapp-decisions" }, result.items.map(decisionItem)),
      h("section", { class: "wapp-articles", "aria-labelledby": "wapp-articles-title" }, [
        h("h3", { id: "wapp-articles-title", text: T.articles_title }), articles,
      ]),
      actions,
    ];
  }

  // ---- step 4: resolution, method, estimate, confirmation ------------------------------------------

  /** What every item allows together (the API's offered_for_all), or the exception lists. */
  function offered(items, exception) {
    const eligible = items.filter((item) => item.eligible);
    if (exception && eligible.length < items.length) {
      const allowed = S.exception_choices;
      return {
        resolutions: S.resolutions.filter((r) => allowed.resolutions.includes(r.code)),
        methods: S.methods.filter((m) => allowed.methods.includes(m.code)),
      };
    }
    if (!eligible.length) { return { resolutions: [], methods: [] }; }
    return {
      resolutions: S.resolutions.filter((r) => eligible.every((item) => item.resolutions.includes(r.code))),
      methods: S.methods.filter((m) => eligible.every((item) => item.methods.includes(m.code))),
    };
  }

  /** The API's estimate (decimal strings) as numbers for the table. */
  function asNumbers(e) {
    return {
      currency: e.currency, items: Number(e.items_total), shipping: Number(e.shipping), fee: Number(e.fee),
      deduction: Number(e.deduction), total: Number(e.total),
    };
  }

  function estimateTable(e) {
    const row = (head, value, cls) => h("tr", { class: cls || null }, [h("th", { scope: "row", text: head }), h("td", { text: value })]);
    return h("table", { class: "data" }, [
      h("tbody", {}, [
        row(T.items, money(e.items, e.currency)),
        e.shipping > 0 ? row(T.original_shipping, money(e.shipping, e.currency)) : null,
        row(T.fee, e.fee > 0 ? `− ${money(e.fee, e.currency)}` : T.free),
        e.deduction > 0 ? row(T.deduction, `− ${money(e.deduction, e.currency)}`) : null,
        row(T.total, money(e.total, e.currency), "total"),
      ]),
    ]);
  }

  function storeSelect(choice) {
    const stores = S.stores.map((s) => ({ code: s.code, label: `${s.name}, ${s.address}, ${s.city}` }));
    const control = select("wapp-store", stores, choice.store, T.choose_store);
    control.addEventListener("change", () => { choice.store = control.value; });
    const wrapper = field("wapp-store", T.store, control);
    wrapper.hidden = choice.method !== "store";
    return wrapper;
  }

  function confirmStep() {
    const items = state.options.items;
    const choice = state.choice;
    const anyIneligible = items.some((item) => !item.eligible);
    const choicesBox = h("div", { class: "wapp-choice-box" });
    const actions = h("div", { class: "wapp-actions" });
    const estimateBox = h("section", { class: "wapp-estimate", "aria-labelledby": "wapp-estimate-title",
      "aria-live": "polite" });
    const reviewBox = h("div", { class: "flash flash-warning wapp-review", id: "wapp-review", hidden: true });
    // The catalogue's other variants in stock, when it knows the products: a list instead of words.
    const variantChoices = [];
    items.forEach((item) => (item.exchange_choices || []).forEach((c) => {
      if (!variantChoices.some((known) => known.code === c.label)) { variantChoices.push({ code: c.label, label: c.label }); }
    }));
    if (variantChoices.length && !variantChoices.some((c) => c.code === choice.variant)) { choice.variant = ""; }
    const variantInput = variantChoices.length
      ? select("wapp-variant", variantChoices, choice.variant, T.variant_choose)
      : h("input", { id: "wapp-variant", type: "text", maxlength: "120", autocomplete: "off", value: choice.variant });
    variantInput.setAttribute("aria-describedby", "wapp-variant-hint");
    variantInput.addEventListener(variantChoices.length ? "change" : "input", () => { choice.variant = variantInput.value; });
    const variantField = field("wapp-variant", T.variant_label, variantInput,
      variantChoices.length ? T.variant_stock_hint : T.variant_hint);
    variantField.classList.add("wapp-variant");
    let estimateRequest = 0;
    let review = [];

    /** What the choice brings: a refund table, or for an exchange or a repair, that it costs nothing. */
    function drawEstimate(estimate, exception) {
      if (choice.resolution === "exchange" || choice.resolution === "repair") {
        const exchange = choice.resolution === "exchange";
        fill(estimateBox, [h("h3", { id: "wapp-estimate-title", text: exchange ? T.exchange_title : T.repair_title }),
          h("p", { text: exchange ? T.exchange_text : T.repair_text })]);
        return;
      }
      fill(estimateBox, [
        h("h3", { id: "wapp-estimate-title", text: exception ? T.estimate_if_granted : T.estimate_title }),
        estimateTable(asNumbers(estimate)),
        exception ? h("p", { class: "muted", text: T.granted_only }) : null,
      ]);
    }

    /** Before the button: whether an agent checks this return, and why; the button says so too. */
    function drawReview(reasons) {
      review = reasons;
      const limit = money(S.receiptless_limit, state.order.currency);
      fill(reviewBox, reasons.length ? [
        h("p", {}, [h("strong", { text: T.review_title })]),
        h("ul", {}, reasons.map((code) => h("li", {
          text: format(S.review_reasons[code] || S.review_reasons.other, { limit }) }))),
      ] : []);
      reviewBox.hidden = !reasons.length;
      const confirmButton = actions.querySelector(".button-primary");
      if (confirmButton) {
        confirmButton.textContent = reasons.length ? T.send_review : T.confirm;
        if (reasons.length) { confirmButton.setAttribute("aria-describedby", "wapp-review"); }
        else { confirmButton.removeAttribute("aria-describedby"); }
      }
    }

    // The exact figure and the review reasons for the current choice, from the server's policy engine.
    async function refreshEstimate(exception) {
      const ticket = ++estimateRequest;
      variantField.hidden = choice.resolution !== "exchange";
      if (!choice.resolution || !choice.method) { fill(estimateBox, []); drawReview([]); return; }
      try {
        const data = await call("/estimate", { json: { session: state.token, items: state.lines,
          resolution: choice.resolution, method: choice.method, exception: Boolean(exception) } });
        if (ticket !== estimateRequest) { return; } // a newer choice was made meanwhile
        drawEstimate(data.estimate, Boolean(exception));
        drawReview(data.review_reasons || []);
      } catch (error) {
        if (ticket === estimateRequest) { fill(estimateBox, []); drawReview(exception ? ["exception_requested"] : []); }
      }
    }

    // Drawn again when the exception box changes what can be chosen; focus stays on that box.
    function drawChoices() {
      const exception = anyIneligible && choice.exception;
      const { resolutions, methods } = offered(items, exception);
      if (!resolutions.some((r) => r.code === choice.resolution)) { choice.resolution = resolutions.length ? resolutions[0].code : ""; }
      if (!methods.some((m) => m.code === choice.method)) { choice.method = methods.length ? methods[0].code : ""; }
      const canCreate = resolutions.length > 0 && methods.length > 0 && (!anyIneligible || exception);
      const parts = [];
      if (resolutions.length && methods.length) {
        const store = storeSelect(choice);
        parts.push(
          radios("wapp-resolution", T.what_like, resolutions, choice.resolution, (code) => {
            choice.resolution = code;
            refreshEstimate(exception);
          }),
          variantField,
          h("div", {}, [
            radios("wapp-method", T.how_back, methods, choice.method, (code) => {
              choice.method = code;
              store.hidden = code !== "store";
              refreshEstimate(exception);
            }),
            store,
          ]),
        );
      } else if (!anyIneligible || exception) {
        parts.push(h("p", { class: "empty", text: T.no_common_choice }));
      }
      fill(choicesBox, parts);
      fill(actions, [
        button(T.back, () => go(2)),
        canCreate ? button(exception ? T.send_review : T.confirm, () => create(actions, exception), true) : null,
      ]);
      refreshEstimate(exception);
    }

    const warning = anyIneligible ? h("div", { class: "flash flash-warning" }, [
      h("p", { text: T.outside_policy }),
      checkbox("wapp-exception", T.ask_exception, choice.exception, (event) => {
        choice.exception = event.target.checked;
        drawChoices();
      }),
    ]) : null;
    drawChoices();

    return [
      ...stepTop(T.confirm_title),
      warning,
      choicesBox,
      estimateBox,
      reviewBox,
      actions,
    ];
  }

  function create(actions, exception) {
    const choice = state.choice;
    if (choice.method === "store" && !choice.store) {
      showError(S.errors.invalid_store);
      return;
    }
    if (choice.resolution === "exchange" && !choice.variant.trim()) {
      showError(T.variant_missing);
      return;
    }
    busy(actions, async () => {
      const body = { session: state.token, items: state.lines, resolution: choice.resolution, method: choice.method,
        exception: Boolean(exception) };
      if (choice.method === "store") { body.store = choice.store; }
      if (state.note) { body.note = state.note; }
      if (choice.resolution === "exchange") { body.exchange_variant = choice.variant.trim(); }
      try {
        // The same key for every try of this confirmation: a double click or a retry after a lost
        // answer gets the ticket already created instead of a second one.
        state.result = await call("", { json: body, headers: { "Idempotency-Key": state.idempotencyKey } });
      } catch (error) {
        if (error.code === "idempotency_key_reused") { state.idempotencyKey = newIdempotencyKey(); }
        throw error;
      }
      state.token = null; // the session ended with a ticket
      go(4);
    });
  }

  // ---- step 5: done ----------------------------------------------------------------------------

  function instructions(result) {
    const method = state.choice.method;
    const steps = [];
    if (method === "store") {
      const store = S.stores.find((s) => s.code === state.choice.store);
      steps.push(format(T.step_store, { store: store ? `${store.name}, ${store.address}, ${store.city}` : T.any_store }));
    } else if (method === "none") {
      steps.push(T.step_none);
    } else {
      steps.push(T.step_pack, method === "dropoff" ? T.step_dropoff : T.step_carrier);
    }
    if (method !== "none") {
      // Only a refund talks about refunds.
      const after = { exchange: T.after_exchange, repair: T.after_repair, store_credit: T.after_credit };
      steps.push(after[state.choice.resolution] || T.step_refund);
    }
    const label = method === "carrier" || method === "dropoff";
    return h("section", { class: "instructions", "aria-labelledby": "wapp-next-title" }, [
      h("h3", { id: "wapp-next-title", text: T.next_title }),
      h("ol", {}, steps.map((text) => h("li", { text }))),
      method === "none" ? null
        : h("p", {}, [outLink(result.slip_url, label ? T.open_label : T.open_slip, { class: "button button-primary" })]),
    ]);
  }

  function doneStep() {
    const again = h("div", { class: "wapp-actions" }, [button(T.start_again, () => {
      state = freshState(state);
      go(0);
    })]);
    const result = state.result;
    if (result.deflected) {
      return [...stepTop(T.solved_title, T.solved_lead), again];
    }
    const approved = result.status === "approved";
    const good = approved ? "badge badge-ok" : "badge badge-warn";
    return [
      ...stepTop(format(T.done_title, { reference: result.reference })),
      h("p", { class: "status-line" }, [h("span", { class: good, text: S.statuses[result.status] || result.status })]),
      h("p", { class: "lead", text: format(approved ? T.approved_lead : T.review_lead, { email: state.email }) }),
      approved ? instructions(result) : null,
      ["exchange", "repair"].includes(state.choice.resolution) ? null
        : h("p", { text: format(T.estimated, { amount: money(result.estimate.total, result.estimate.currency) }) }),
      h("p", {}, [outLink(result.status_url, T.open_status)]),
      h("p", { class: "muted", text: T.private_link }),
      again,
    ];
  }

  // ---- inside a shop's iframe: keep the iframe as tall as the assistant ----------------------------

  function reportHeight() {
    const origins = (root.dataset.parentOrigins || "").split(/\s+/).filter(Boolean);
    if (!framed || !origins.length || !window.ResizeObserver) { return; }
    let last = 0;
    const post = () => {
      const height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height === last) { return; }
      last = height;
      // Addressed to the origins allowed to frame this page; the browser drops the others.
      // A wildcard origin is no valid target, and a height is no secret: "*" is fine there.
      origins.forEach((origin) => {
        window.parent.postMessage({ type: HEIGHT_MESSAGE, height }, origin.includes("*") ? "*" : origin);
      });
    };
    new ResizeObserver(post).observe(document.body);
    post();
  }

  // ---- mount ----------------------------------------------------------------------------------

  root.classList.add("wizard-app");
  fill(root, [h("nav", { class: "wapp-progress", "aria-label": T.progress }, [progressList]), live, stage]);
  // Every choice the shopper makes is kept in this history entry, so a reload loses nothing.
  // Typing is remembered after a pause: browsers limit how often a page may write its history.
  let typing = 0;
  stage.addEventListener("change", remember);
  stage.addEventListener("input", () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(remember, 400);
  });
  const saved = window.history.state;
  const asked = STEP_NAMES.indexOf(new URL(window.location.href).searchParams.get("step") || "find");
  if (saved && saved.kbWizard && saved.state) {
    state = saved.state;
    const target = reachable(saved.step);
    go(target.index, { error: target.error, initial: true });
  } else {
    // A step in the URL without its history (another tab, a shared link): say why it starts over.
    go(0, { initial: true, error: asked > 0 ? T.cannot_restore : "" });
  }
  reportHeight();
})();

// Live transcript on the handoff chat page: polls for new events and appends them.
// Text is set with textContent only, so whatever a shopper typed stays inert.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list || !list.dataset.live) { return; }
  var sender = list.dataset.sender;
  var after = parseInt(list.dataset.after || "0", 10);

  // One element with a class and, when given, its text (set as text, never as HTML).
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function line(cls, meta, text) {
    var li = el("li", "ev " + cls);
    li.appendChild(el("div", "meta", meta));
    if (text !== null) { li.appendChild(el("div", "text", text)); }
    return li;
  }

  // A list of items, one per entry, each made by `item` (as in _items.html).
  function list(cls, label, entries, item) {
    var ul = el("ul", cls);
    ul.setAttribute("aria-label", label);
    entries.forEach(function (entry) { ul.appendChild(item(entry)); });
    return ul;
  }

  // The titles of the buttons a bot message offered, one chip each.
  function chips(titles) {
    return list("buttons", "Buttons offered", titles, function (title) { return el("li", "chip", title); });
  }

  // A carousel's products as cards; the URLs are the server's, built from the SKU.
  function cards(entries) {
    return list("cards", "Products shown", entries, function (card) {
      var li = el("li", "card");
      li.dataset.sku = card.sku;
      var a = el("a");
      a.href = card.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      var img = el("img");
      img.src = card.image;
      img.alt = "";
      img.width = 96;
      img.height = 96;
      a.appendChild(img);
      a.appendChild(el("span", "card-name", card.name));
      li.appendChild(a);
      li.appendChild(el("span", "card-price", card.price));
      li.appendChild(el("span", "card-sku", card.sku));
      return li;
    });
  }

  function render(ev) {
    if (ev.type === "user") { return line("user", ev.at + " · " + (ev.intent || "?"), ev.text); }
    if (ev.type === "bot") {
      var li = line("bot", ev.at + (ev.agent ? " · agent " + ev.agent : ""), ev.text);
      if (ev.buttons && ev.buttons.length) { li.appendChild(chips(ev.buttons)); }
      if (ev.cards && ev.cards.length) { li.appendChild(cards(ev.cards)); }
      return li;
    }
    if (ev.type === "action") { return line("action", ev.name + " " + (ev.policy || ""), null); }
    if (ev.type === "slot") { return line("slot", "slot " + ev.name + " = " + ev.value, null); }
    return line("other", ev.type + " " + (ev.name || ""), null);
  }

  function poll() {
    fetch("/api/conversations/" + encodeURIComponent(sender) + "/events?after=" + after,
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { events: [] }; })
      .then(function (body) {
        body.events.forEach(function (ev) {
          after = Math.max(after, ev.id);
          var li = render(ev);
          li.id = "ev-" + ev.id;
          list.appendChild(li);
        });
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();

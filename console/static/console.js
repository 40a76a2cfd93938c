// Live transcript on the handoff chat page: polls for new events and appends them.
// Text is set with textContent only, so whatever a shopper typed stays inert.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list || !list.dataset.live) { return; }
  var sender = list.dataset.sender;
  var after = parseInt(list.dataset.after || "0", 10);

  function line(cls, meta, text) {
    var li = document.createElement("li");
    li.className = "ev " + cls;
    var m = document.createElement("div");
    m.className = "meta";
    m.textContent = meta;
    li.appendChild(m);
    if (text !== null) {
      var t = document.createElement("div");
      t.className = "text";
      t.textContent = text;
      li.appendChild(t);
    }
    return li;
  }

  // The titles of the buttons a bot message offered, one chip each (as in _items.html).
  function chips(titles) {
    var ul = document.createElement("ul");
    ul.className = "buttons";
    ul.setAttribute("aria-label", "Buttons offered");
    titles.forEach(function (title) {
      var li = document.createElement("li");
      li.className = "chip";
      li.textContent = title;
      ul.appendChild(li);
    });
    return ul;
  }

  // A carousel's products as cards (as in _items.html); the URLs are the server's, built from the SKU.
  function cards(list) {
    var ul = document.createElement("ul");
    ul.className = "cards";
    ul.setAttribute("aria-label", "Products shown");
    list.forEach(function (card) {
      var li = document.createElement("li");
      li.className = "card";
      li.dataset.sku = card.sku;
      var a = document.createElement("a");
      a.href = card.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      var img = document.createElement("img");
      img.src = card.image;
      img.alt = "";
      img.width = 96;
      img.height = 96;
      a.appendChild(img);
      var name = document.createElement("span");
      name.className = "card-name";
      name.textContent = card.name;
      a.appendChild(name);
      li.appendChild(a);
      var price = document.createElement("span");
      price.className = "card-price";
      price.textContent = card.price;
      li.appendChild(price);
      var sku = document.createElement("span");
      sku.className = "card-sku";
      sku.textContent = card.sku;
      li.appendChild(sku);
      ul.appendChild(li);
    });
    return ul;
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

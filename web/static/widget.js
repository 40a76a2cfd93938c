/*
 * ShopChat: a small chat widget for Rasa's socket.io channel (socket.io-client 4).
 *
 *   ShopChat.init({socketUrl: "https://bot.example.com", metadata: {identity_token: "..."}})
 *
 * Keeps one conversation per browser: the session id and the rendered history live in
 * localStorage, and the session id is sent in `session_request`, so a reload continues
 * the same Rasa conversation. The server issues and signs session ids: the widget keeps the
 * one `session_confirm` names, and starts afresh when that is not the one it presented. Everything the user or the bot says is rendered as text
 * (textContent), never as HTML; only http(s) URLs become links.
 * With no explicit init it reads JSON config from <script id="shopchat-config">.
 *
 * While a person from the support team has the conversation (the console's join notice until
 * its leave notice) the bot is paused, so no typing indicator is shown after the shopper writes.
 * The same holds from the moment the bot says it has asked for a person (its message carries
 * `handoff: "requested"`, actions/handoff.py) until someone joins or the bot speaks again.
 *
 * The widget's own words (launcher, header, placeholder, errors, ...) come from STRINGS in one
 * language: `config.language` when the shop fixed one, else the first of the browser's
 * navigator.languages the shop offers (`config.languages`, e.g. ["en", "zh"]; zh-CN, zh-TW ->
 * zh), else the shop's default (the first of `config.languages`), else English. That code also
 * goes with every message as metadata.language: a hint for the assistant's first answer (the
 * server accepts only exact codes; what the shopper then writes decides).
 */
(function (global) {
  "use strict";

  var STORAGE_KEY = "shopchat:v1";
  var MAX_HISTORY = 100;
  var TYPING_TIMEOUT_MS = 30000;
  var URL_RE = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  var MAX_INPUT_CHARS = 1000;

  /* The widget's own words; {name} is filled in by t(). Every language has every key. */
  var STRINGS = {
    en: {
      launcher: "Chat with us",
      panel: "Shop assistant chat",
      title: "Shop assistant",
      close: "Close chat",
      typing: "The assistant is typing",
      placeholder: "Type a message…",
      message: "Message",
      send: "Send",
      unavailable: "Chat is unavailable right now.",
      connecting: "Still connecting… please try again in a moment.",
      reconnecting: "Connection lost. Reconnecting…",
      tooLong: "That's the longest message I can take ({max} characters).",
      moreLike: "More like this",
      moreLikeShown: "More like {title}",
    },
    zh: {
      launcher: "在线咨询",
      panel: "购物助手聊天窗口",
      title: "购物助手",
      close: "关闭聊天",
      typing: "助手正在输入",
      placeholder: "请输入消息…",
      message: "消息",
      send: "发送",
      unavailable: "聊天暂时无法使用。",
      connecting: "正在连接…请稍后再试。",
      reconnecting: "连接已断开，正在重新连接…",
      tooLong: "消息最长 {max} 个字符，不能再多了。",
      moreLike: "看看类似的",
      moreLikeShown: "看看和{title}类似的",
    },
  };
  /* The lang attribute per code, so the browser picks Simplified Chinese glyphs. */
  var HTML_LANG = { en: "en", zh: "zh-Hans" };

  /* The widget's language (see the header): fixed, else the browser's, else the shop's default. */
  function pickLanguage(config, browserLanguages) {
    var offered = Array.isArray(config.languages) && config.languages.length ? config.languages : ["en"];
    var usable = offered.filter(function (code) { return typeof code === "string" && STRINGS[code]; });
    if (typeof config.language === "string" && STRINGS[config.language]) return config.language;
    var wanted = Array.isArray(browserLanguages) ? browserLanguages : [];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split(/[-_]/)[0];
      if (usable.indexOf(code) >= 0) return code;
    }
    return usable.length ? usable[0] : "en";
  }

  function browserLanguages() {
    var nav = global.navigator || {};
    if (Array.isArray(nav.languages) && nav.languages.length) return nav.languages.slice();
    return nav.language ? [nav.language] : [];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(raw, allowRelative) {
    if (typeof raw !== "string" || !raw) return null;
    if (allowRelative && raw.charAt(0) === "/" && raw.charAt(1) !== "/") return raw;
    try {
      var url = new URL(raw, global.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /* Text with http(s) links as <a>; the rest as text nodes. */
  function renderText(parent, text) {
    text = String(text);
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var href = safeUrl(match, false);
      if (href) {
        var a = el("a", null, match);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
        parent.appendChild(a);
      } else {
        parent.appendChild(document.createTextNode(match));
      }
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function loadState(identityKey) {
    var state = null;
    try {
      state = JSON.parse(global.localStorage.getItem(STORAGE_KEY) || "null");
    } catch (e) {
      state = null;
    }
    // A different shopper (sign-in switch) starts a new conversation.
    if (!state || typeof state !== "object" || state.identityKey !== identityKey || !Array.isArray(state.history)) {
      state = { sessionId: null, identityKey: identityKey, history: [], open: !!(state && state.open) };
    }
    return state;
  }

  function ShopChat(config) {
    this.config = config || {};
    this.language = pickLanguage(this.config, browserLanguages());
    this.strings = STRINGS[this.language];
    var metadata = {};
    var given = this.config.metadata || {};
    for (var key in given) if (Object.prototype.hasOwnProperty.call(given, key)) metadata[key] = given[key];
    metadata.language = this.language;
    this.metadata = metadata;
    this.state = loadState(this.config.identityKey || "anonymous");
    this.socket = null;
    this.typingTimer = null;
    this.build();
    this.setAgent(this.state.agent || null);
    this.setWaiting(!!this.state.waiting);
    for (var i = 0; i < this.state.history.length; i++) this.render(this.state.history[i], false);
    if (this.config.open || this.state.open) this.toggle(true);
    if (this.config.socketUrl !== false) this.connect();
  }

  /* The widget's text for `key` in its language, with {name} placeholders filled from `values`. */
  ShopChat.prototype.t = function (key, values) {
    var text = this.strings[key] !== undefined ? this.strings[key] : STRINGS.en[key];
    return String(text).replace(/\{(\w+)\}/g, function (match, name) {
      return values && values[name] !== undefined ? String(values[name]) : match;
    });
  };

  ShopChat.prototype.save = function () {
    this.state.history = this.state.history.slice(-MAX_HISTORY);
    try {
      global.localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
    } catch (e) {
      /* storage full or disabled: the conversation still works, it just won't survive a reload */
    }
  };

  ShopChat.prototype.build = function () {
    var self = this;
    this.root = el("div", "shopchat");
    this.root.setAttribute("data-state", "closed");
    this.root.setAttribute("lang", HTML_LANG[this.language] || this.language);
    this.root.setAttribute("data-language", this.language);
    this.launcher = el("button", "shopchat-launcher", this.t("launcher"));
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.addEventListener("click", function () { self.toggle(); });
    this.panel = el("section", "shopchat-panel");
    this.panel.setAttribute("aria-label", this.t("panel"));
    var header = el("header", "shopchat-header");
    header.appendChild(el("span", "shopchat-title", this.config.title || this.t("title")));
    var close = el("button", "shopchat-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", this.t("close"));
    close.addEventListener("click", function () { self.toggle(false); });
    header.appendChild(close);
    this.log = el("div", "shopchat-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.typing = el("div", "shopchat-typing");
    this.typing.setAttribute("aria-label", this.t("typing"));
    this.typing.appendChild(el("span"));
    this.typing.appendChild(el("span"));
    this.typing.appendChild(el("span"));
    this.typing.hidden = true;
    /* Connection trouble (reconnecting) and input hints (too long), above the input. */
    this.banner = el("div", "shopchat-banner");
    this.banner.setAttribute("role", "status");
    this.banner.hidden = true;
    this.note = el("div", "shopchat-note", this.t("tooLong", { max: MAX_INPUT_CHARS }));
    this.note.setAttribute("aria-live", "polite");
    this.note.hidden = true;
    this.form = el("form", "shopchat-form");
    this.input = el("input", "shopchat-input");
    this.input.type = "text";
    this.input.maxLength = MAX_INPUT_CHARS;
    this.input.placeholder = this.t("placeholder");
    this.input.setAttribute("aria-label", this.t("message"));
    this.input.addEventListener("input", function () {
      self.note.hidden = self.input.value.length < MAX_INPUT_CHARS;
    });
    var send = el("button", "shopchat-send", this.t("send"));
    send.type = "submit";
    this.form.appendChild(this.input);
    this.form.appendChild(send);
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      self.input.value = "";
      self.note.hidden = true;
      self.send(text, text);
    });
    this.panel.appendChild(header);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.typing);
    this.panel.appendChild(this.banner);
    this.panel.appendChild(this.note);
    this.panel.appendChild(this.form);
    this.root.appendChild(this.panel);
    this.root.appendChild(this.launcher);
    (this.config.container || document.body).appendChild(this.root);
  };

  ShopChat.prototype.toggle = function (open) {
    open = open === undefined ? this.root.getAttribute("data-state") !== "open" : !!open;
    this.root.setAttribute("data-state", open ? "open" : "closed");
    this.launcher.setAttribute("aria-expanded", String(open));
    this.state.open = open;
    this.save();
    if (open) this.input.focus();
  };

  ShopChat.prototype.connect = function () {
    var self = this;
    if (typeof global.io !== "function") {
      this.status(this.t("unavailable"));
      return;
    }
    this.socket = global.io(this.config.socketUrl || global.location.origin, {
      path: this.config.socketPath || "/socket.io/",
      transports: ["websocket", "polling"],
    });
    this.socket.on("connect", function () {
      self.setConnection(true);
      self.socket.emit("session_request", { session_id: self.state.sessionId });
    });
    /* Lost after it was up (server restart, network): socket.io retries; say so until it is back.
       A disconnect the widget asked for itself ("io client disconnect") is not trouble. */
    this.socket.on("disconnect", function (reason) {
      self.setTyping(false);
      if (reason !== "io client disconnect") self.setConnection(false);
    });
    /* The server issues (and signs) session ids: store the one it confirms. When it did not
       accept the stored one (not issued by it, or its key was rotated), this is a new
       conversation, so the old history goes too. */
    this.socket.on("session_confirm", function (data) {
      var id = data && typeof data === "object" ? data.session_id : data;
      if (typeof id === "string" && id) {
        if (self.state.sessionId && self.state.sessionId !== id) self.restart();
        self.state.sessionId = id;
        self.save();
        self.root.setAttribute("data-session", id);
      }
    });
    this.socket.on(this.config.botEvent || "bot_uttered", function (message) {
      self.receive(message);
    });
    this.socket.on("connect_error", function () {
      self.setTyping(false);
      if (self.everConnected) self.setConnection(false);
    });
  };

  /* Sends `payload` to Rasa and shows `shown` as what the user said. */
  ShopChat.prototype.send = function (payload, shown) {
    this.add({ from: "user", text: shown });
    if (!this.socket || !this.state.sessionId) {
      this.status(this.t("connecting"));
      return false;
    }
    this.socket.emit(this.config.userEvent || "user_uttered", {
      message: payload,
      session_id: this.state.sessionId,
      metadata: this.metadata,
    });
    // A paused bot does not answer; the agent replies whenever they send something.
    this.setTyping(!this.state.agent && !this.state.waiting);
    return true;
  };

  ShopChat.prototype.receive = function (message) {
    this.setTyping(false);
    if (!message || typeof message !== "object") return;
    this.noticeAgent(message);
    var custom = message.custom || (message.type ? message : null) || message.data;
    if (custom && typeof custom === "object" && custom.type === "carousel") {
      this.addCarousel(custom);
    }
    if (message.text || message.quick_replies || message.buttons) {
      this.add({ from: "bot", text: message.text || "", buttons: message.quick_replies || message.buttons || [] });
    }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      this.add({ from: "bot", image: attachment.payload.src });
    }
  };

  ShopChat.prototype.add = function (entry) {
    this.state.history.push(entry);
    this.save();
    this.lastRow = this.render(entry, true);
  };

  /* Cards in place of the numbered list sent just before them (actions/carousel.py repeats that
     text as `text`): the shopper sees the products once, under the list's heading (`intro`). */
  ShopChat.prototype.addCarousel = function (custom) {
    var history = this.state.history;
    var last = history[history.length - 1];
    var intro;
    if (typeof custom.text === "string" && last && last.from === "bot" && last.text === custom.text &&
        !(last.buttons && last.buttons.length) && this.lastRow && this.lastRow.parentNode === this.log) {
      history.pop();
      this.log.removeChild(this.lastRow);
      intro = typeof custom.intro === "string" ? custom.intro : undefined;
    }
    this.add({ from: "bot", text: intro, carousel: custom.products || [] });
  };

  ShopChat.prototype.status = function (text) {
    this.render({ from: "status", text: text }, true);
  };

  /* Follows the handoff (`handoff` and `agent` on the message, forwarded by
     channels/socketio_web.py): the bot's "I asked a person" (`requested`, actions/handoff.py),
     the console's join / leave notices (console/handoff.py). Who has the chat, if anyone, and
     whether the paused bot is waiting for a person; any other bot message ends the wait. */
  ShopChat.prototype.noticeAgent = function (message) {
    if (message.handoff === "requested") {
      this.setWaiting(true);
      return;
    }
    if (message.handoff === "joined" && typeof message.agent === "string") this.setAgent(message.agent);
    else if (message.handoff === "left") this.setAgent(null);
    if (typeof message.agent !== "string" || message.handoff) this.setWaiting(false);
  };

  /* The bot is paused until a person joins: data-handoff="requested" for tests and styles. */
  ShopChat.prototype.setWaiting = function (on) {
    this.state.waiting = on;
    this.save();
    if (on) this.root.setAttribute("data-handoff", "requested");
    else this.root.removeAttribute("data-handoff");
  };

  ShopChat.prototype.setAgent = function (name) {
    this.state.agent = name || null;
    this.save();
    if (name) this.root.setAttribute("data-agent", name);
    else this.root.removeAttribute("data-agent");
  };

  /* Connected or not: the reconnecting banner, and data-connection for tests and styles. */
  ShopChat.prototype.setConnection = function (up) {
    if (up) this.everConnected = true;
    this.banner.textContent = up ? "" : this.t("reconnecting");
    this.banner.hidden = up;
    this.root.setAttribute("data-connection", up ? "up" : "reconnecting");
  };

  ShopChat.prototype.setTyping = function (on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    this.root.setAttribute("data-typing", on ? "true" : "false");
    if (on) this.typingTimer = setTimeout(function () { self.setTyping(false); }, TYPING_TIMEOUT_MS);
  };

  /* Draws one history entry; `live` entries may have clickable buttons. */
  ShopChat.prototype.render = function (entry, live) {
    var self = this;
    var row = el("div", "shopchat-msg shopchat-" + (entry.from === "user" ? "user" : entry.from === "status" ? "status" : "bot"));
    if (entry.text) {
      var bubble = el("div", "shopchat-bubble");
      renderText(bubble, entry.text);
      row.appendChild(bubble);
    }
    if (entry.image) {
      var src = safeUrl(entry.image, true);
      if (src) {
        var img = el("img", "shopchat-image");
        img.src = src;
        img.alt = "";
        row.appendChild(img);
      }
    }
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", "shopchat-buttons");
      entry.buttons.forEach(function (button) {
        if (!button || typeof button.title !== "string") return;
        var b = el("button", "shopchat-button", button.title);
        b.type = "button";
        b.disabled = !live || !!entry.used;
        b.addEventListener("click", function () {
          entry.used = true;
          group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          self.save();
          self.send(String(button.payload || button.title), button.title);
        });
        group.appendChild(b);
      });
      row.appendChild(group);
    }
    if (entry.carousel) row.appendChild(this.carousel(entry.carousel));
    this.log.appendChild(row);
    this.log.scrollTop = this.log.scrollHeight;
    return row;
  };

  ShopChat.prototype.carousel = function (products) {
    var self = this;
    var track = el("div", "shopchat-carousel");
    (Array.isArray(products) ? products : []).slice(0, 10).forEach(function (p) {
      if (!p || typeof p !== "object") return;
      var card = el("article", "shopchat-card");
      card.setAttribute("data-sku", String(p.sku || ""));
      var href = safeUrl(p.url, true);
      var image = safeUrl(p.image, true);
      if (image) {
        var img = el("img");
        img.src = image;
        img.alt = "";
        card.appendChild(img);
      }
      var title = el(href ? "a" : "span", "shopchat-card-title", p.title || p.sku || "");
      if (href) title.href = href;
      card.appendChild(title);
      if (p.price !== undefined && p.price !== null) card.appendChild(el("span", "shopchat-card-price", p.price));
      if (p.sku) {
        var more = el("button", "shopchat-more", self.t("moreLike"));
        more.type = "button";
        more.addEventListener("click", function () {
          self.send('/recommend_product{"product": ' + JSON.stringify(String(p.sku)) + "}", self.t("moreLikeShown", { title: p.title || p.sku }));
        });
        card.appendChild(more);
      }
      track.appendChild(card);
    });
    return track;
  };

  /* A new conversation in the same widget: history and agent go, the panel stays as it is. */
  ShopChat.prototype.restart = function () {
    this.state = { sessionId: null, identityKey: this.state.identityKey, history: [], open: this.state.open };
    this.setAgent(null);
    this.setWaiting(false);
    this.log.textContent = "";
  };

  var api = {
    instance: null,
    renderText: renderText,
    strings: STRINGS,
    pickLanguage: pickLanguage,
    init: function (config) {
      if (!api.instance) api.instance = new ShopChat(config);
      return api.instance;
    },
  };
  global.ShopChat = api;

  function autoInit() {
    var node = document.getElementById("shopchat-config");
    if (!node) return;
    try {
      api.init(JSON.parse(node.textContent || "{}"));
    } catch (e) {
      if (global.console) global.console.error("ShopChat: bad config", e);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoInit);
  else autoInit();
})(window);

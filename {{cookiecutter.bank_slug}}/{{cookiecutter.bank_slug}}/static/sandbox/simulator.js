// The WeChat simulator: chat with the service as a simulated follower, tap its custom menu, open its
// H5 pages in the in-app browser (an iframe), and see template and customer-service messages arrive.
// Everything the server returns is shown with textContent; only http(s) links become clickable.
(function () {
  "use strict";

  const POLL_MS = 1500;
  const $ = (id) => document.getElementById(id);
  const phone = $("phone");
  const chat = $("chat");
  const accountName = document.querySelector(".titlebar-title").textContent;
  const MOCK_TOKEN = document.querySelector('meta[name="mock-token"]').getAttribute("content");

  const sim = {
    users: [],
    openid: null,
    histories: {}, // openid -> [entry]
    menu: null,
    qrcodes: [],
    lastRecordId: 0,
    keyboard: false,
  };

  // -- HTTP helpers ------------------------------------------------------------------------------
  async function api(path, options) {
    const headers = { "Content-Type": "application/json", "X-Mock-Token": MOCK_TOKEN };
    const response = await fetch(path, Object.assign({ headers: headers }, options));
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok || (data && data.errcode)) {
      const reason = (data && (data.reason || data.error || data.errmsg)) || ("HTTP " + response.status);
      throw new Error(reason);
    }
    return data;
  }
  const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });

  // -- users -------------------------------------------------------------------------------------
  function currentUser() { return sim.users.find((u) => u.openid === sim.openid) || null; }
  function history(openid) { return (sim.histories[openid] = sim.histories[openid] || []); }

  async function loadUsers() {
    sim.users = (await api("/_mock/users")).users;
    renderUsers();
  }

  function renderUsers() {
    const select = $("user-select");
    select.textContent = "";
    for (const user of sim.users) {
      const option = document.createElement("option");
      option.value = user.openid;
      option.textContent = (user.nickname || "未命名") + " · " + user.openid.slice(0, 4) + "…" + user.openid.slice(-4)
        + (user.subscribed ? "" : "（未关注）");
      select.appendChild(option);
    }
    if (sim.openid) select.value = sim.openid;
  }

  async function useUser(openid) {
    // Another "phone": until the service's session is this user's, taps would open pages as the last one.
    phone.dataset.ready = "0";
    sim.openid = openid;
    try { localStorage.setItem("simulator.openid", openid); } catch (e) { /* private mode */ }
    closeWebview();
    try {
      await post("/simulator/api/session", { openid: openid });
      renderUsers();
      renderAll();
    } finally {
      phone.dataset.ready = "1";
    }
  }

  function updateUser(user) {
    const index = sim.users.findIndex((u) => u.openid === user.openid);
    if (index >= 0) sim.users[index] = user; else sim.users.push(user);
    renderUsers();
    renderControls();
  }

  // -- chat entries ------------------------------------------------------------------------------
  function add(openid, entry) {
    history(openid).push(entry);
    if (openid === sim.openid) { chat.appendChild(renderEntry(entry)); scrollDown(); }
  }
  const notice = (text, error) => add(sim.openid, { kind: "notice", text: text, error: !!error });

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function isWebUrl(url) { return /^https?:\/\//i.test(url || ""); }

  function link(url, label) {
    const a = document.createElement("a");
    a.href = url;
    a.textContent = label;
    a.addEventListener("click", (event) => { event.preventDefault(); openWebview(url); });
    return a;
  }

  // Text replies may carry <a href="...">label</a> (WeChat renders those) and bare URLs.
  function richText(node, text) {
    const pattern = /<a\s+href=(["'])(.*?)\1\s*>(.*?)<\/a>|(https?:\/\/[^\s<>"'，。）]+)/gi;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      const url = match[2] || match[4];
      const label = match[3] || match[4];
      node.appendChild(isWebUrl(url) ? link(url, label) : document.createTextNode(label));
      last = pattern.lastIndex;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function avatar(out) {
    const span = document.createElement("span");
    span.className = "avatar";
    const user = currentUser();
    span.textContent = out ? ((user && user.nickname) || "我").slice(0, 1) : accountName.slice(0, 1);
    return span;
  }

  function row(out, testid, child) {
    const div = document.createElement("div");
    div.className = "msg " + (out ? "out" : "in");
    div.dataset.testid = testid;
    div.append(avatar(out), child);
    return div;
  }

  function tag(text) {
    const span = document.createElement("span");
    span.className = "tag";
    span.textContent = text;
    return span;
  }

  function el(name, className, text) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // "label:value" lines, as the mock renders a template message; null when the text is not of that shape
  function noticeFields(text) {
    const lines = String(text || "").split("\n").filter((line) => line.trim() !== "");
    const fields = lines.map((line) => {
      const at = line.search(/[:：]/);
      return at > 0 ? [line.slice(0, at), line.slice(at + 1)] : null;
    });
    return fields.length && fields.every(Boolean) ? fields : null;
  }

  function renderEntry(entry) {
    if (entry.kind === "notice") {
      const div = el("div", "notice" + (entry.error ? " error" : ""));
      div.dataset.testid = entry.error ? "notice-error" : "notice";
      div.appendChild(el("span", "", entry.text));
      return div;
    }
    if (entry.kind === "out" || entry.kind === "in") {
      const bubble = el("div", "bubble");
      if (entry.tag) bubble.appendChild(tag(entry.tag));
      richText(bubble, entry.text);
      return row(entry.kind === "out", entry.kind === "out" ? "msg-out" : "msg-in", bubble);
    }
    if (entry.kind === "news") {
      const wrap = document.createElement("div");
      for (const article of entry.articles) {
        const card = el("div", "card news");
        card.dataset.testid = "card-news";
        if (isWebUrl(article.picurl)) {
          const img = el("img", "card-pic");
          img.src = article.picurl;
          img.alt = "";
          card.appendChild(img);
        }
        const body = el("div", "card-body");
        if (entry.tag) body.appendChild(tag(entry.tag));
        body.append(el("p", "card-title", article.title), el("p", "card-desc", article.description));
        card.appendChild(body);
        if (isWebUrl(article.url)) card.addEventListener("click", () => openWebview(article.url));
        wrap.appendChild(card);
      }
      return row(false, "msg-in", wrap);
    }
    if (entry.kind === "template") {
      const card = el("div", "card template");
      card.dataset.testid = entry.testid || "card-template";
      const body = el("div", "card-body");
      body.append(tag(entry.tag || "模板消息"), el("p", "card-title", entry.title), el("p", "card-time", entry.at));
      const fields = entry.kind === "template" && !entry.testid ? noticeFields(entry.text) : null;
      if (fields) {
        // WeChat's notice card (类目模板): one row per keyword, the label grey on the left, the value beside it
        const list = el("dl", "card-fields");
        for (const [label, value] of fields) list.append(el("dt", "", label), el("dd", "", value));
        body.appendChild(list);
      } else body.appendChild(el("p", "card-desc", entry.text));
      card.appendChild(body);
      if (isWebUrl(entry.url)) {
        const foot = el("div", "card-foot");
        foot.append(el("span", "", "详情"), el("span", "", "›"));
        card.appendChild(foot);
        card.addEventListener("click", () => openWebview(entry.url));
      }
      return row(false, "msg-in", card);
    }
    return el("div", "notice", "");
  }

  function renderAll() {
    $("submenu").hidden = true;
    chat.textContent = "";
    for (const entry of history(sim.openid)) chat.appendChild(renderEntry(entry));
    renderControls();
    scrollDown();
  }

  function renderControls() {
    const user = currentUser();
    const toggle = $("follow-toggle");
    toggle.disabled = !user;
    toggle.textContent = user && user.subscribed ? "取消关注" : "关注";
    $("follow-panel").hidden = !user || user.subscribed;
    $("inputbar").hidden = !user || !user.subscribed;
    $("composer").hidden = !sim.keyboard && !!sim.menu;
    $("menubar").hidden = sim.keyboard || !sim.menu;
    $("switch-mode").textContent = sim.keyboard || !sim.menu ? "☰" : "⌨";
    $("switch-mode").disabled = !sim.menu;
    // A reply arriving while a submenu is open must not close it under the user's finger.
    if ($("menubar").hidden || $("inputbar").hidden) $("submenu").hidden = true;
  }

  // -- talking to the service --------------------------------------------------------------------
  function showReply(openid, reply) {
    if (!reply) return;
    if (reply.type === "text") add(openid, { kind: "in", text: reply.content });
    else if (reply.type === "news") add(openid, { kind: "news", articles: reply.articles });
    // WeChat passes the chat to the account's customer-service agents; the customer sees no message.
    else if (reply.type === "transfer_customer_service") add(openid, { kind: "notice", text: "已转接人工客服" });
    else add(openid, { kind: "notice", text: "收到一条" + reply.type + "消息（模拟器暂不显示此类型）" });
  }

  async function send(payload) {
    const openid = sim.openid;
    try {
      const data = await post("/simulator/api/send", Object.assign({ openid: openid }, payload));
      updateUser(data.user);
      showReply(openid, data.reply);
      return data;
    } catch (error) {
      add(openid, { kind: "notice", text: "发送失败：" + error.message, error: true });
      return null;
    }
  }

  async function follow(subscribe) {
    const data = await send({ type: subscribe ? "subscribe" : "unsubscribe" });
    if (data && subscribe) {
      history(sim.openid).splice(history(sim.openid).length - (data.reply ? 1 : 0), 0,
        { kind: "notice", text: "你已关注" + accountName });
      renderAll();
    } else if (data) {
      notice("你已取消关注" + accountName);
    }
  }

  // -- the service's parametric QR codes: one 扫码 button each ------------------------------------
  async function loadQrCodes() {
    const data = await api("/simulator/api/qrcodes");
    sim.qrcodes = data.qrcodes || [];
    renderQrCodes();
  }

  function renderQrCodes() {
    const bar = $("qrbar");
    bar.replaceChildren();
    bar.hidden = !sim.qrcodes || !sim.qrcodes.length;
    for (const code of sim.qrcodes || []) {
      const button = el("button", "qr-scan", "扫码: " + code.scene);
      button.type = "button";
      button.dataset.testid = "scan-qrcode";
      button.dataset.scene = code.scene;
      button.addEventListener("click", () => scan(code));
      bar.appendChild(button);
    }
  }

  async function scan(code) {
    const user = currentUser();
    const following = user && user.subscribed;
    add(sim.openid, { kind: "notice", text: "扫描二维码 " + code.scene + (following ? "" : "（关注公众号）") });
    const data = await send({ type: "scan", ticket: code.ticket });
    if (data) renderAll();
  }

  // -- the custom menu ---------------------------------------------------------------------------
  async function loadMenu() {
    const data = await api("/_mock/menu");
    sim.menu = data.menu && data.menu.button && data.menu.button.length ? data.menu : null;
    renderMenu();
    renderControls();
  }

  function renderMenu() {
    const bar = $("menubar");
    bar.textContent = "";
    if (!sim.menu) { bar.appendChild(el("span", "empty", "公众号尚未发布菜单")); return; }
    for (const button of sim.menu.button) {
      const node = el("button", button.sub_button && button.sub_button.length ? "has-sub" : "", button.name);
      node.type = "button";
      node.addEventListener("click", (event) => {
        event.stopPropagation();
        if (button.sub_button && button.sub_button.length) toggleSubmenu(node, button.sub_button);
        else tap(button);
      });
      bar.appendChild(node);
    }
  }

  function toggleSubmenu(anchor, buttons) {
    const list = $("submenu");
    if (!list.hidden && list.dataset.anchor === anchor.textContent) { list.hidden = true; return; }
    list.textContent = "";
    list.dataset.anchor = anchor.textContent;
    for (const button of buttons) {
      const item = document.createElement("li");
      const node = el("button", "", button.name);
      node.type = "button";
      node.addEventListener("click", (event) => { event.stopPropagation(); list.hidden = true; tap(button); });
      item.appendChild(node);
      list.appendChild(item);
    }
    const phoneBox = phone.getBoundingClientRect();
    const box = anchor.getBoundingClientRect();
    list.hidden = false;
    const width = Math.max(box.width - 8, list.offsetWidth);
    let left = box.left - phoneBox.left + (box.width - width) / 2;
    left = Math.min(Math.max(left, 6), phoneBox.width - width - 6);
    list.style.left = left + "px";
    list.style.minWidth = width + "px";
  }

  function tap(button) {
    if (button.type === "click") send({ type: "click", key: button.key });
    else if (button.type === "view") {
      send({ type: "view", url: button.url });
      openWebview(button.url);
    } else if (button.type === "location_select") {
      // WeChat's place picker: here the place chosen in the keyboard bar's picker (⌨) is sent
      const select = $("place-select");
      add(sim.openid, { kind: "out", text: "[位置] " + select.options[select.selectedIndex].textContent });
      send({ type: "location_select", key: button.key, place: select.value });
    } else notice("模拟器暂不支持「" + button.type + "」类型的菜单", true);
  }

  // -- the in-app browser ------------------------------------------------------------------------
  function openWebview(url) {
    if (!isWebUrl(url)) return;
    const parsed = new URL(url);
    $("webview-title").textContent = parsed.host + parsed.pathname;
    $("webview-frame").src = url;
    $("webview").hidden = false;
  }

  function closeWebview() {
    $("webview").hidden = true;
    $("webview-frame").src = "about:blank";
  }

  // -- messages the service sent through the API (template, customer service, mass) and SMS ---------
  function recordEntries(record) {
    const payload = record.payload || {};
    if (record.kind === "template") {
      return [[record.openid, { kind: "template", title: record.title || "模板消息", at: formatTime(record.at),
        text: record.rendered || JSON.stringify(payload.data || {}), url: payload.url }]];
    }
    const message = (openid) => {
      if (payload.msgtype === "text") return { kind: "in", text: payload.text.content, tag: tagFor(record) };
      if (payload.msgtype === "news") {
        const articles = (payload.news.articles || []).map((a) => ({ title: a.title, description: a.description,
          url: a.url, picurl: a.picurl }));
        return { kind: "news", articles: articles, tag: tagFor(record) };
      }
      return { kind: "notice", text: "收到一条" + payload.msgtype + "消息" };
    };
    // Text messages (one-time codes) go to a phone, not an openid: shown to whoever is using the simulator.
    if (record.kind === "sms") {
      return [[sim.openid, { kind: "template", tag: "短信", testid: "card-sms", title: "短信 " + (payload.phone || ""),
        at: formatTime(record.at), text: payload.text || "" }]];
    }
    if (record.kind === "custom") return [[record.openid, message()]];
    if (record.kind === "mass_send") return (record.delivered_to || []).map((openid) => [openid, message()]);
    if (record.kind === "mass_preview") return [[record.openid, message()]];
    return [];
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) return iso || "";
    const pad = (n) => String(n).padStart(2, "0");
    return (date.getMonth() + 1) + "月" + date.getDate() + "日 " + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function tagFor(record) {
    return { custom: "客服消息", mass_preview: "群发预览" }[record.kind] || "群发消息";
  }

  async function poll() {
    try {
      const data = await api("/_mock/records?since_id=" + sim.lastRecordId);
      for (const record of data.records) {
        if (record.kind === "menu_create" || record.kind === "menu_delete") { await loadMenu(); continue; }
        if (record.kind === "qrcode") { await loadQrCodes(); continue; }
        for (const [openid, entry] of recordEntries(record)) if (openid) add(openid, entry);
      }
      sim.lastRecordId = data.last_id;
    } catch (error) {
      /* the mock restarting: try again at the next tick */
    }
    setTimeout(poll, POLL_MS);
  }

  // -- wiring ------------------------------------------------------------------------------------
  $("user-select").addEventListener("change", (event) => useUser(event.target.value));
  $("follow-toggle").addEventListener("click", () => { const u = currentUser(); if (u) follow(!u.subscribed); });
  $("follow-button").addEventListener("click", () => follow(true));
  $("switch-mode").addEventListener("click", () => { sim.keyboard = !sim.keyboard; renderControls(); });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    add(sim.openid, { kind: "out", text: text });
    send({ type: "text", content: text });
  });
  $("send-location").addEventListener("click", () => {
    const select = $("place-select");
    const label = select.options[select.selectedIndex].textContent;
    add(sim.openid, { kind: "out", text: "[位置] " + label });
    send({ type: "location", place: select.value });
  });
  $("webview-close").addEventListener("click", closeWebview);
  $("webview-reload").addEventListener("click", () => {
    const frame = $("webview-frame");
    frame.src = frame.src;
  });
  document.addEventListener("click", () => { $("submenu").hidden = true; });
  $("new-user").addEventListener("click", () => {
    $("new-user-error").textContent = "";
    $("new-user-dialog").showModal();
  });
  $("new-user-form").addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.value !== "create") return;
    event.preventDefault();
    const body = { nickname: $("new-nickname").value.trim(), subscribed: false };
    const openid = $("new-openid").value.trim();
    if (openid) body.openid = openid;
    try {
      const data = await post("/_mock/users", body);
      $("new-user-dialog").close();
      $("new-nickname").value = "";
      $("new-openid").value = "";
      sim.users.push(data.user);
      await useUser(data.user.openid);
    } catch (error) {
      $("new-user-error").textContent = error.message;
    }
  });

  async function start() {
    try {
      await Promise.all([loadUsers(), loadMenu(), loadQrCodes()]);
      sim.lastRecordId = (await api("/_mock/records?since_id=0")).last_id;
      let saved = null;
      try { saved = localStorage.getItem("simulator.openid"); } catch (e) { saved = null; }
      const first = sim.users.find((u) => u.openid === saved) || sim.users[0];
      if (first) await useUser(first.openid);
      else { renderAll(); notice("还没有模拟用户，请点击「新建」"); }
      phone.dataset.ready = "1";
    } catch (error) {
      notice("无法连接模拟微信接口：" + error.message, true);
    }
    setTimeout(poll, POLL_MS);
  }

  start();
})();

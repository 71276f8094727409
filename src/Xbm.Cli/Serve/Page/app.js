// The search page of `xbm serve`: health, a page of index items, search by upload or by item, results with
// thumbnails, similarity, label and a same-label marker. Each result image gets data-loaded="1" once decoded
// (naturalWidth > 0) or "0" when it fails; #serve-check summarises them for headless checks.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const pageSize = 60;
  let offset = 0;
  let total = 0;
  let maxUploadBytes = Infinity;

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function showError(message) {
    const el = $("error");
    el.textContent = message;
    el.hidden = !message;
  }

  async function getJson(url, init) {
    const response = await fetch(url, init);
    const body = await response.json().catch(() => ({ error: "HTTP " + response.status }));
    if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
    return body;
  }

  function labelText(item) {
    if (item.label === null || item.label === undefined) return "no label";
    return item.labelName ? item.label + " (" + item.labelName + ")" : String(item.label);
  }

  function image(src, alt) {
    const img = document.createElement("img");
    img.alt = alt;
    img.addEventListener("load", () => { img.dataset.loaded = img.naturalWidth > 0 ? "1" : "0"; });
    img.addEventListener("error", () => { img.dataset.loaded = "0"; });
    img.src = src;
    return img;
  }

  function itemCard(item, onClick) {
    const card = document.createElement("div");
    card.className = "card";
    const button = document.createElement("button");
    button.type = "button";
    button.title = "search with item " + item.id;
    button.append(image(item.thumbnail, "item " + item.id), text("div", "#" + item.id), text("div", labelText(item), "label"));
    if (onClick) button.addEventListener("click", () => onClick(item.id));
    card.append(button);
    return card;
  }

  function hitCard(hit) {
    const card = itemCard(hit, searchItem);
    card.classList.add("hit");
    card.dataset.rank = hit.rank;
    card.dataset.id = hit.id;
    if (hit.sameLabel === true) card.classList.add("same");
    if (hit.sameLabel === false) card.classList.add("other");
    const mark = hit.sameLabel === true ? "✓" : hit.sameLabel === false ? "✗" : "";
    const line = text("div", hit.rank + ". " + hit.similarity.toFixed(4) + " ");
    if (mark) line.append(text("span", mark, "mark"));
    card.firstChild.insertBefore(line, card.firstChild.children[1]);
    return card;
  }

  function whenImagesSettle(container) {
    const images = Array.from(container.querySelectorAll("img"));
    return Promise.all(images.map((img) => img.dataset.loaded !== undefined ? null : new Promise((done) => {
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", done, { once: true });
    })));
  }

  async function showResults(result, queryCard) {
    const check = $("serve-check");
    check.dataset.checked = "no";
    $("query").replaceChildren(queryCard);
    $("hits").replaceChildren(...result.hits.map(hitCard));
    $("results").hidden = false;
    await whenImagesSettle($("results"));
    const images = Array.from($("hits").querySelectorAll("img"));
    check.dataset.results = String(result.hits.length);
    check.dataset.imagesLoaded = String(images.filter((i) => i.dataset.loaded === "1" && i.naturalWidth > 0).length);
    check.dataset.imagesBroken = String(images.filter((i) => i.dataset.loaded !== "1").length);
    check.dataset.same = String(result.hits.filter((h) => h.sameLabel === true).length);
    check.dataset.other = String(result.hits.filter((h) => h.sameLabel === false).length);
    check.dataset.ids = result.hits.map((h) => h.id).join(",");
    check.dataset.checked = "yes";
  }

  function k() {
    const value = parseInt($("k").value, 10);
    return Number.isFinite(value) ? value : 10;
  }

  async function searchItem(id) {
    showError("");
    try {
      const result = await getJson("/api/search/item/" + encodeURIComponent(id) + "?k=" + k());
      const url = new URL(window.location.href);
      url.searchParams.set("item", id);
      window.history.replaceState(null, "", url);
      await showResults(result, itemCard(result.query, null));
    } catch (e) {
      showError(e.message);
    }
  }

  async function searchUpload(file) {
    showError("");
    const form = new FormData();
    form.append("image", file, file.name);
    try {
      const result = await getJson("/api/search?k=" + k(), { method: "POST", body: form });
      const card = document.createElement("div");
      card.className = "card";
      card.append(image(URL.createObjectURL(file), "query"), text("div", file.name, "label"));
      await showResults(result, card);
    } catch (e) {
      showError(e.message);
    }
  }

  async function browse(start) {
    const page = await getJson("/api/items?offset=" + start + "&count=" + pageSize);
    offset = page.offset;
    total = page.total;
    $("items").replaceChildren(...page.items.map((item) => itemCard(item, searchItem)));
    $("browse-range").textContent = "(items " + offset + "–" + (offset + page.items.length - 1) + " of " + total + ")";
    $("prev").disabled = offset === 0;
    $("next").disabled = offset + pageSize >= total;
  }

  $("upload").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("file").files[0];
    if (!file) { showError("choose an image file first"); return; }
    if (file.size > maxUploadBytes) { showError(file.name + " is larger than the service's limit of " + maxUploadBytes + " bytes"); return; }
    searchUpload(file);
  });
  $("prev").addEventListener("click", () => browse(Math.max(0, offset - pageSize)).catch((e) => showError(e.message)));
  $("next").addEventListener("click", () => browse(offset + pageSize).catch((e) => showError(e.message)));

  (async function start() {
    try {
      const health = await getJson("/api/health");
      maxUploadBytes = health.maxUploadBytes;
      $("health").textContent = health.items + " items, " + health.dimension + " dimensions, model " + health.model + " (" + health.backend + ")";
      const params = new URLSearchParams(window.location.search);
      if (params.has("k")) $("k").value = params.get("k");
      await browse(0);
      if (params.has("item")) await searchItem(params.get("item"));
    } catch (e) {
      showError(e.message);
    }
  })();
})();

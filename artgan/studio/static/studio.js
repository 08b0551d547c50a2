// artgan studio: one page, built from /api/catalog. Nothing here knows a plugin or a model:
// tabs are the verbs the installed plugins declare, controls come from each verb's options.
"use strict";

const state = { catalog: null, tab: null, uploads: [], results: [], current: null, busy: false };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ------------------------------------------------------------------ jobs
async function follow(jobId, onState) {
  for (;;) {
    const job = await api(`/api/jobs/${jobId}`);
    onState(job);
    if (job.status === "done") return job.result;
    if (job.status === "failed") throw new Error(job.error);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function showProgress(job) {
  const box = $("progress");
  box.hidden = false;
  let text, fraction = 0;
  if (job.status === "queued") text = job.ahead ? `waiting: ${job.ahead} job(s) ahead` : "waiting";
  else if (job.total > 0) { fraction = job.done / job.total; text = `${job.stage}: ${job.done} of ${job.total}`; }
  else text = job.stage || job.status;
  box.querySelector(".bar > div").style.width = `${Math.round(fraction * 100)}%`;
  $("progress-text").textContent = text;
  $("queue").textContent = job.status === "queued" ? `queue: ${job.ahead + 1}` : "";
}

// ------------------------------------------------------------------ catalogue and tabs
async function start() {
  state.catalog = await api("/api/catalog");
  $("version").textContent = `v${state.catalog.version}`;
  const tabs = $("tabs");
  for (const verb of state.catalog.verbs) {
    tabs.append(el("button", { type: "button", role: "tab", "data-verb": verb.name, title: verb.help, text: verb.name, onclick: () => chooseTab(verb.name) }));
  }
  const problems = state.catalog.problems || [];
  if (problems.length) {
    const list = $("problems").querySelector("ul");
    for (const line of problems) list.append(el("li", { text: line }));
    $("problems").hidden = false;
  }
  $("model").addEventListener("change", () => buildControls());
  $("run").addEventListener("click", run);
  $("new-seed").addEventListener("click", () => { $("seed").value = String(Math.floor(Math.random() * 2 ** 31)); });
  $("copy").addEventListener("click", copyCommand);
  setUpDrop();
  if (state.catalog.verbs.length) chooseTab(state.catalog.verbs[0].name);
  else $("view").replaceChildren(el("p", { class: "hint", text: "No installed plugin ships a model. Train one and start the studio with --model RUN_FOLDER." }));
  state.results = (await api("/api/results")).results;
  renderGallery();
}

function currentTab() { return state.catalog.verbs.find((v) => v.name === state.tab); }
function currentModel() { return currentTab().models.find((m) => m.name === $("model").value); }

function chooseTab(name) {
  state.tab = name;
  for (const button of $("tabs").children) button.setAttribute("aria-selected", String(button.dataset.verb === name));
  const verb = currentTab();
  const select = $("model");
  select.replaceChildren(...verb.models.map((m) => el("option", { value: m.name, text: m.name })));
  $("drop").hidden = verb.takes === "nothing";
  $("file").multiple = verb.takes === "images";
  $("run").textContent = name.charAt(0).toUpperCase() + name.slice(1);
  showError("");
  buildControls();
}

// ------------------------------------------------------------------ controls from options
function buildControls() {
  const model = currentModel();
  $("model-about").textContent = [model.description, model.licence && `licence: ${model.licence}`].filter(Boolean).join(" · ");
  const form = $("controls");
  form.replaceChildren(...model.controls.map(control));
}

function control(spec) {
  const id = `opt-${spec.name}`;
  const help = spec.help ? el("span", { class: "help", text: spec.help }) : null;
  if (spec.kind === "checkbox") {
    const box = el("input", { type: "checkbox", id, "data-option": spec.name });
    box.checked = spec.default === "true";
    return el("label", { class: "field check", for: id, title: spec.help }, box, spec.title);
  }
  let input;
  if (spec.kind === "select") {
    input = el("select", { id, "data-option": spec.name },
      ...spec.choices.map((c) => el("option", { value: c, text: c === "" ? (spec.name === "label" ? "(random each time)" : "(default)") : c })));
    input.value = spec.default;
  } else if (spec.kind === "slider") {
    const range = el("input", { type: "range", min: spec.minimum, max: spec.maximum, step: spec.step, "aria-label": spec.title });
    input = el("input", { type: "number", id, min: spec.minimum, max: spec.maximum, step: spec.integer ? 1 : "any", "data-option": spec.name });
    range.value = input.value = spec.default;
    range.addEventListener("input", () => { input.value = range.value; });
    input.addEventListener("input", () => { range.value = input.value; });
    return el("div", { class: "field", title: spec.help }, el("label", { for: id, text: spec.title }), el("div", { class: "slider" }, range, input), help);
  } else if (spec.kind === "number") {
    input = el("input", { type: "number", id, min: spec.minimum, max: spec.maximum, step: spec.integer ? 1 : "any", placeholder: spec.optional ? "(default)" : "", "data-option": spec.name });
    input.value = spec.default;
  } else {
    input = el("input", { type: "text", id, placeholder: spec.default || "(default)", "data-option": spec.name });
    input.value = spec.default;
  }
  return el("label", { class: "field", for: id, title: spec.help }, spec.title, input, help);
}

function optionTexts() {
  const texts = {};
  for (const input of $("controls").querySelectorAll("[data-option]")) {
    const value = input.type === "checkbox" ? String(input.checked) : input.value.trim();
    if (value !== "") texts[input.dataset.option] = value;
  }
  return texts;
}

// ------------------------------------------------------------------ uploads
function setUpDrop() {
  const drop = $("drop");
  $("choose").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", () => upload([...$("file").files]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload([...e.dataTransfer.files]); });
}

function send(file) {
  // XMLHttpRequest, not fetch: it reports upload progress for large pictures.
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const bar = $("upload-bar");
    bar.hidden = false;
    request.upload.onprogress = (e) => { if (e.lengthComputable) bar.firstElementChild.style.width = `${Math.round(100 * e.loaded / e.total)}%`; };
    request.onload = () => {
      bar.hidden = true;
      const data = JSON.parse(request.responseText || "{}");
      if (request.status >= 400) reject(new Error(data.error || request.statusText)); else resolve(data);
    };
    request.onerror = () => { bar.hidden = true; reject(new Error(`${file.name}: the upload failed; is the studio still running?`)); };
    request.open("POST", `/api/upload?name=${encodeURIComponent(file.name)}`);
    request.send(file);
  });
}

async function upload(files) {
  if (!files.length) return;
  showError("");
  state.uploads = [];
  const info = $("upload-info");
  info.textContent = `reading ${files.map((f) => f.name).join(", ")}...`;
  try {
    const read = [];
    for (const file of files) {
      const sent = await send(file);
      read.push(await follow(sent.job, () => {}));
    }
    state.uploads = read;
    info.textContent = read.map((u) => `${u.name}: ${u.width}×${u.height}`).join(", ");
    if (read.length === 1) $("view").replaceChildren(el("img", { src: read[0].preview, alt: `the uploaded picture ${read[0].name}` }));
  } catch (error) {
    info.textContent = "";
    showError(error.message);
  }
}

// ------------------------------------------------------------------ running
async function run() {
  if (state.busy) return;
  const verb = currentTab();
  showError("");
  if (verb.takes !== "nothing" && !state.uploads.length) { showError("Drop a picture first."); return; }
  state.busy = true;
  $("run").disabled = true;
  try {
    const request = { model: $("model").value, verb: verb.name, options: optionTexts(), seed: $("seed").value.trim(), uploads: state.uploads.map((u) => u.upload) };
    const queued = await api("/api/run", request);
    const result = await follow(queued.job, showProgress);
    state.results.unshift(result);
    show(result);
    renderGallery();
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
    $("run").disabled = false;
    $("progress").hidden = true;
    $("queue").textContent = "";
  }
}

// ------------------------------------------------------------------ results
function show(result) {
  state.current = result;
  $("view").replaceChildren(view(result));
  $("meta").hidden = false;
  const settings = Object.entries(result.settings).map(([k, v]) => `${k}=${v}`).join(", ");
  $("result-line").textContent = `${result.model} · ${result.verb} · seed ${result.seed}${settings ? " · " + settings : ""} · ${result.seconds.toFixed(2)} s`;
  const downloads = $("downloads");
  downloads.replaceChildren(el("span", { text: "download:" }),
    ...result.files.map((f) => el("a", { href: f.url, download: f.name, title: f.path, text: f.name })));
  if (result.more_formats.length) {
    downloads.append(el("span", { text: "also as:" }),
      ...result.more_formats.map((fmt) => el("button", { type: "button", text: fmt, onclick: () => exportAs(result, fmt) })));
  }
  $("command").textContent = result.command;
  for (const card of $("cards").children) card.classList.toggle("current", card.dataset.id === result.id);
}

function view(result) {
  const pictures = result.previews;
  if (result.kind === "image" && result.before) return compare(result.before, pictures[0]);
  if (result.kind === "image") return el("img", { src: pictures[0], alt: "the result" });
  if (result.kind === "tiles") {
    const tiles = el("div", { class: "tiles", "aria-label": "the result repeated 3×3, to check the seams" });
    for (let i = 0; i < 9; i++) tiles.append(el("img", { src: pictures[0], alt: "" }));
    return el("div", {}, tiles, el("p", { class: "caption", text: "tiled 3×3: seams would show here" }),
      pictures.length > 1 ? grid(pictures) : null);
  }
  if (result.kind === "sequence") {
    const gif = result.files.find((f) => f.format === ".gif");
    return gif ? el("img", { src: gif.url, alt: "the result, animated" }) : grid(pictures);
  }
  if (result.kind === "grid") return grid(pictures);
  const summary = el("pre", { class: "summary", text: JSON.stringify(result.summary, null, 2) });
  return el("div", {}, pictures.length ? el("img", { src: pictures[0], alt: "a picture of the result" }) : null, summary);
}

function grid(pictures) {
  return el("div", { class: "grid" }, ...pictures.map((src, i) => el("img", { src, alt: `result ${i + 1}` })));
}

function compare(before, after) {
  // The result underneath, the original on top, cut off at the slider: drag to compare.
  const top = el("img", { src: before, class: "before", alt: "before" });
  const slider = el("input", { type: "range", min: 0, max: 100, value: 50, "aria-label": "before / after" });
  const cut = () => { top.style.clipPath = `inset(0 ${100 - slider.value}% 0 0)`; };
  slider.addEventListener("input", cut);
  cut();
  return el("div", {}, el("div", { class: "compare" }, el("img", { src: after, alt: "after" }), top, slider),
    el("div", { class: "labels" }, el("span", { text: "◀ before" }), el("span", { text: "after ▶" })));
}

async function exportAs(result, fmt) {
  showError("");
  try {
    const queued = await api(`/api/results/${result.id}/export`, { format: fmt });
    const updated = await follow(queued.job, () => {});
    const index = state.results.findIndex((r) => r.id === updated.id);
    if (index >= 0) state.results[index] = updated;
    show(updated);
  } catch (error) {
    showError(error.message);
  }
}

function renderGallery() {
  const cards = $("cards");
  cards.replaceChildren(...state.results.map((r) => {
    const thumb = r.previews[0] || r.before;
    const settings = Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(" ");
    return el("li", { "data-id": r.id, title: r.command, onclick: () => show(r) },
      thumb ? el("img", { src: thumb, alt: "" }) : null,
      el("div", { text: `${r.model} · ${r.verb} · seed ${r.seed}` }),
      settings ? el("div", { class: "settings", text: settings }) : null);
  }));
}

async function copyCommand() {
  const text = $("command").textContent;
  try {
    await navigator.clipboard.writeText(text);
    $("copy").textContent = "copied";
  } catch {
    const range = document.createRange();  // no clipboard access (plain http): select it for Ctrl-C
    range.selectNodeContents($("command"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $("copy").textContent = "selected: press Ctrl-C";
  }
  setTimeout(() => { $("copy").textContent = "copy as command"; }, 1500);
}

start().catch((error) => showError(`The studio could not start: ${error.message}`));

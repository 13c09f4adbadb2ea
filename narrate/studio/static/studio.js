// narrate studio's page: reads the script from /api/segments a page at a time (a long book is never rendered
// whole), plays a quote, and sends a fix. Written for this app; no build step, no library.
const token = document.body.dataset.token;
const PAGE = 200;
const view = document.getElementById("script");
const more = document.getElementById("more");
const status = document.getElementById("status");
const count = document.getElementById("count");
const filters = document.getElementById("filters");
const dialog = document.getElementById("fix");
const fixForm = document.getElementById("fix-form");
const player = document.getElementById("player");
const titles = Object.fromEntries([...filters.elements.chapter.options].filter((o) => o.value)
  .map((o) => [o.value, o.textContent]));  // the chapters' titles, as the page was rendered with them
let busiest = [];  // the ten speakers with the most lines: the digit keys give a quote to them
let playingOn = false;  // "play from here": each segment's end starts the next
let offset = 0, total = Infinity, loading = false, lastChapter = null, generation = 0, current = null;

async function api(path, options = {}) {
  const response = await fetch(path, {...options, headers: {"X-Studio-Token": token,
    "Content-Type": "application/json", ...(options.headers || {})}});
  const body = await response.json().catch(() => ({error: `${response.status} ${response.statusText}`}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function query() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(filters)) if (value !== "") params.set(name, value);
  return params;
}

function segmentElement(segment) {
  const element = document.createElement("p");
  element.className = `seg ${segment.kind}` + (segment.low ? " low" : "");
  element.dataset.id = segment.id;
  fill(element, segment);
  return element;
}

function fill(element, segment) {
  element.replaceChildren();
  element.classList.toggle("low", segment.low);
  element.dataset.speaker = segment.speaker;
  if (segment.kind === "dialogue") {
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = segment.speaker;
    who.style.color = segment.colour;
    element.style.borderLeftColor = segment.low ? "" : segment.colour;
    element.title = `${segment.evidence} (confidence ${segment.confidence})`;
    element.append(who);
  }
  element.append(document.createTextNode(segment.text));
}

async function loadMore() {
  if (loading || offset >= total) return;
  loading = true;
  const mine = generation;
  try {
    const params = query();
    params.set("offset", offset);
    params.set("limit", PAGE);
    const page = await api(`/api/segments?${params}`);
    if (mine !== generation) return;  // the filters changed while this page was on its way
    total = page.total;
    for (const segment of page.segments) {
      if (segment.chapter !== lastChapter) {
        const heading = document.createElement("h2");
        heading.textContent = titles[segment.chapter] || `Chapter ${segment.chapter}`;
        view.append(heading);
        lastChapter = segment.chapter;
      }
      view.append(segmentElement(segment));
    }
    offset += page.segments.length;
    count.textContent = `${total} segments` + (offset < total ? `, ${offset} shown` : "") + ".";
  } catch (error) {
    status.textContent = error.message;
  } finally {
    loading = false;
  }
  if (mine === generation && offset < total && more.getBoundingClientRect().top < innerHeight) loadMore();
}

function restart() {
  generation += 1;
  offset = 0; total = Infinity; lastChapter = null; loading = false;
  view.replaceChildren();
  return loadMore();
}

function select(element) {
  if (current) current.classList.remove("current");
  current = element;
  current.classList.add("current");
  current.scrollIntoView({block: "nearest"});
}

function audioUrl(id) {
  // a new address each time: a fix may have recast the line, and chromium replays a media address it has loaded
  // from its own copy, whatever the answer's no-store said
  return `/api/segments/${id}/audio?token=${encodeURIComponent(token)}&at=${Date.now()}`;
}

function play(element) {
  player.src = audioUrl(element.dataset.id);
  player.play().catch((error) => { status.textContent = `cannot play: ${error.message}`; });
}

function openFix(element) {
  select(element);
  document.getElementById("fix-quote").textContent = element.lastChild.textContent;
  fixForm.elements.speaker.value = element.dataset.speaker;
  dialog.showModal();
  fixForm.elements.speaker.select();
}

function markChanged(answer) {
  // the other quotes a fix changed (its conversation decoded again): shown with their new speaker, marked
  for (const old of view.querySelectorAll(".changed")) old.classList.remove("changed");
    for (const change of answer.changed) {
      const other = view.querySelector(`[data-id="${change.index}"]`);
      if (other) { other.classList.add("changed"); fill(other, {...change, kind: "dialogue", id: change.index,
        speaker: change.after, low: false, evidence: "decoded",
        confidence: ""}); }
    }
}

async function assign(element, speaker) {
  status.textContent = "saving...";
  try {
    const answer = await api(`/api/segments/${element.dataset.id}/speaker`,
                             {method: "POST", body: JSON.stringify({speaker})});
    fill(element, answer.segment);
    markChanged(answer);
    status.textContent = `${element.dataset.speaker} now speaks it (written to ${answer.voices}); ` +
      `${answer.changed.length} other quote(s) changed with it`;
    refreshCast();  // the quote is shown: now the cast's counts (a new speaker gets its row)
  } catch (error) {
    status.textContent = error.message;
  }
}

function refreshCast() {
  return api("/api/speakers").then((answer) => renderCast(answer.speakers))
    .catch((error) => { status.textContent = error.message; });
}

function renderCast(speakers) {
  const body = document.querySelector("#cast-table tbody");
  const names = speakers.map((row) => row.name).filter((name) => name !== "narrator" && name !== "unknown");
  busiest = names.slice(0, 10);  // the API lists the busiest first
  document.getElementById("cast").replaceChildren(...names.map((name) => new Option(name)));  // the fix's choices
  body.replaceChildren();
  for (const row of speakers) {
    const tr = document.createElement("tr");
    tr.dataset.speaker = row.name;
    for (const text of [row.name, row.lines, row.words]) {
      const td = document.createElement("td"); td.textContent = text; tr.append(td);
    }
    tr.firstChild.style.color = row.colour;
    tr.append(...settingCells(row));
    const engine = document.createElement("td");
    engine.textContent = row.engine;
    engine.className = "engine";
    tr.append(engine);
    const voice = document.createElement("td");
    if (row.name === "unknown") voice.textContent = row.voice;
    else {
      voice.innerHTML = '<input name="voice" list="voice-ids" aria-label="voice"> <button class="recast">Set</button> ' +
        '<button class="hear">Hear</button>';
      voice.firstChild.value = row.voice;
    }
    tr.append(voice);
    if (names.includes(row.name)) {
      const rename = document.createElement("td");
      rename.innerHTML = '<input name="to" aria-label="new name"> <button class="rename">Rename</button>';
      const merge = document.createElement("td");
      merge.innerHTML = '<select name="into" aria-label="merge into"></select> <button class="merge">Merge</button>';
      for (const other of names.filter((name) => name !== row.name)) merge.firstChild.add(new Option(other, other));
      const split = document.createElement("td");
      if (row.aliases.length) {
        split.innerHTML = '<select name="alias" aria-label="other name"></select> <button class="split">Split off</button>';
        for (const alias of row.aliases) split.firstChild.add(new Option(alias, alias));
      }
      tr.append(rename, merge, split);
    }
    body.append(tr);
  }
}

function settingCells(row) {
  // gender (a character's), rate and pitch: a change is written at once and the speaker's first line replays
  const [gender, rate, pitch] = [0, 1, 2].map(() => document.createElement("td"));
  if (row.name === "unknown") return [gender, rate, pitch];
  if (row.name !== "narrator") {
    const choice = document.createElement("select");
    choice.name = "gender";
    choice.setAttribute("aria-label", "gender");
    for (const option of ["male", "female", "neutral"]) choice.add(new Option(option, option));
    choice.value = row.gender || "neutral";
    gender.append(choice);
  }
  for (const [cell, name, low, high] of [[rate, "rate", 80, 450], [pitch, "pitch", 0, 99]]) {
    const input = document.createElement("input");
    Object.assign(input, {name, type: "number", min: low, max: high, value: row[name]});
    input.setAttribute("aria-label", name);
    cell.append(input);
  }
  return [gender, rate, pitch];
}

async function castFix(path, request) {
  status.textContent = "saving...";
  try {
    const answer = await api(path, {method: "POST", body: JSON.stringify(request)});
    renderCast(answer.speakers);
    restart();
    status.textContent = `written to ${answer.voices}; ${answer.changed.length} quote(s) changed`;
    return true;
  } catch (error) {
    status.textContent = error.message;
    return false;
  }
}

document.getElementById("cast-table").addEventListener("change", (event) => {
  const setting = event.target.closest("select[name=gender], input[name=rate], input[name=pitch]");
  if (!setting) return;
  const name = setting.closest("tr").dataset.speaker;
  const value = setting.name === "gender" ? setting.value : Number(setting.value);
  castFix("/api/speakers/settings", {name, [setting.name]: value}).then((ok) => ok && hear(name));
});

document.getElementById("cast-table").addEventListener("click", (event) => {
  const row = event.target.closest("tr");
  if (event.target.matches("button.rename")) {
    castFix("/api/speakers/rename", {name: row.dataset.speaker, to: row.querySelector("input").value.trim()});
  } else if (event.target.matches("button.recast")) {
    castFix("/api/speakers/voice", {name: row.dataset.speaker, voice: row.querySelector("input[name=voice]").value.trim()})
      .then((ok) => ok && hear(row.dataset.speaker));
  } else if (event.target.matches("button.hear")) {
    hear(row.dataset.speaker);
  } else if (event.target.matches("button.split")) {
    castFix("/api/speakers/split", {name: row.dataset.speaker, alias: row.querySelector("select[name=alias]").value});
  } else if (event.target.matches("button.merge")) {
    castFix("/api/speakers/merge", {alias: row.dataset.speaker, into: row.querySelector("select[name=into]").value});
  }
});

async function hear(speaker) {
  // the speaker's first line (the narrator's first narration), in the voice it has now
  const page = await api(`/api/segments?${new URLSearchParams({speaker, limit: 1})}`);
  if (!page.segments.length) return;
  player.src = audioUrl(page.segments[0].id);
  player.play().catch((error) => { status.textContent = `cannot play: ${error.message}`; });
}

// Several quotes: ctrl- (cmd-) click adds or removes one, shift-click adds the quotes between the last one
// clicked and this; the bar above the script gives them all to one speaker, or plays them in turn.
const selectionBar = document.getElementById("selection");
let anchor = null;  // the quote last ctrl- or shift-clicked: where a shift-click's range starts
let queue = [];  // "Play selection": the quotes still to play

function selected() {
  return [...view.querySelectorAll(".seg.selected")];
}

function showSelection() {
  const chosen = selected();
  selectionBar.hidden = chosen.length === 0;
  document.getElementById("selection-count").textContent = `${chosen.length} quote(s) selected`;
}

function clearSelection() {
  for (const element of selected()) element.classList.remove("selected");
  anchor = null;
  showSelection();
}

view.addEventListener("click", (event) => {
  const element = event.target.closest(".seg.dialogue");
  if (!element) return;
  if (event.shiftKey && anchor) {
    const quotes = [...view.querySelectorAll(".seg.dialogue")];
    const [from, to] = [quotes.indexOf(anchor), quotes.indexOf(element)].sort((a, b) => a - b);
    for (const quote of quotes.slice(from, to + 1)) quote.classList.add("selected");
    select(element);
  } else if (event.shiftKey || event.ctrlKey || event.metaKey) {
    element.classList.toggle("selected");
    anchor = element;
    select(element);
  } else {
    clearSelection();
    openFix(element);
  }
  showSelection();
});

async function assignSelection(speaker) {
  const chosen = selected();
  status.textContent = "saving...";
  try {
    const answer = await api("/api/segments/speaker", {method: "POST",
      body: JSON.stringify({ids: chosen.map((element) => Number(element.dataset.id)), speaker})});
    for (const segment of answer.segments) {
      const element = view.querySelector(`[data-id="${segment.id}"]`);
      if (element) fill(element, segment);
    }
    markChanged(answer);
    renderCast(answer.speakers);
    status.textContent = `${chosen.length} quote(s) now spoken by ${speaker} (written to ${answer.voices}); ` +
      `${answer.changed.length} other quote(s) changed with them`;
  } catch (error) {
    status.textContent = error.message;
  }
}

document.getElementById("selection-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const action = event.submitter ? event.submitter.value : "assign";
  if (action === "assign") assignSelection(event.target.elements.speaker.value.trim());
  else if (action === "play") {
    queue = selected();
    playingOn = false;
    if (queue.length) { const first = queue.shift(); select(first); play(first); }
  } else clearSelection();
});

function playNext() {
  const spoken = [...view.querySelectorAll(".seg:not(.skipped)")];
  const next = spoken[spoken.indexOf(current) + 1];
  if (next) { select(next); play(next); } else if (offset < total) { loadMore().then(playNext); } else playingOn = false;
}

player.addEventListener("ended", () => {
  if (queue.length) { const next = queue.shift(); select(next); play(next); } else if (playingOn) playNext();
});

for (const [id, path] of [["undo", "/api/undo"], ["redo", "/api/redo"]]) {
  document.getElementById(id).addEventListener("click", () => castFix(path, {}));
}

fixForm.addEventListener("submit", (event) => {
  const action = event.submitter ? event.submitter.value : "assign";
  playingOn = action === "play-on";
  if (action === "play" || action === "play-on") { event.preventDefault(); play(current); return; }
  if (action === "assign") assign(current, fixForm.elements.speaker.value.trim());
});

filters.addEventListener("input", (event) => {
  clearTimeout(filters.timer);
  if (event.target.matches("select")) restart();  // a choice made: at once; typing waits for a pause
  else filters.timer = setTimeout(restart, 150);
});
filters.addEventListener("submit", (event) => { event.preventDefault(); restart(); });

document.addEventListener("keydown", (event) => {
  // typing in a field is no command; a closed dialog's field may keep the focus after Escape: not typing
  if (dialog.open || (event.target.closest("input, select") && !event.target.closest("dialog:not([open])"))) return;
  const quotes = [...view.querySelectorAll(".seg.dialogue")];
  const at = quotes.indexOf(current);
  if (event.key === "j" && quotes[at + 1]) select(quotes[at + 1]);
  else if (event.key === "k" && at > 0) select(quotes[at - 1]);
  else if (event.key === " " && current) { event.preventDefault(); player.paused ? play(current) : player.pause(); }
  else if (event.key === "Enter" && current) openFix(current);
  else if (/^[0-9]$/.test(event.key) && current && current.classList.contains("dialogue")) {
    const speaker = busiest[(Number(event.key) + 9) % 10];
    if (speaker) assign(current, speaker);
  }
});

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMore(); }).observe(more);
restart().then(() => {
  // the cast and the voices once the first segments are drawn: the server answers those first
  api("/api/book").then((book) => renderCast(book.speakers)).catch((error) => { status.textContent = error.message; });
  api("/api/voices").then((answer) => {
    const list = document.getElementById("voice-ids");
    for (const id of answer.voices) list.append(new Option(id));
  }).catch(() => {});
});

// Build: the server runs `narrate build`'s pipeline in the background; the page asks how far it is twice a second
// and stays usable meanwhile. When it is done, each file of the book can be played here or downloaded.
const buildButton = document.getElementById("build");
const buildStatus = document.getElementById("build-status");
const buildProgress = document.getElementById("build-progress");
const buildFiles = document.getElementById("build-files");

function fileUrl(name) {
  return `/api/build/files/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`;
}

function showBuild(state) {
  const running = state.state === "running";
  buildProgress.hidden = !running;
  if (running && state.total) { buildProgress.max = state.total; buildProgress.value = state.done; }
  else buildProgress.removeAttribute("value");
  if (running) {
    buildStatus.textContent = state.stage === "synthesize" && state.total
      ? `synthesizing ${state.done}/${state.total} lines (${state.cached} cached)` : `${state.stage}...`;
  } else if (state.state === "failed") buildStatus.textContent = `error: ${state.error}`;
  else buildStatus.textContent = state.summary || "";
  buildFiles.replaceChildren();
  for (const file of state.files || []) {
    const item = document.createElement("li");
    item.dataset.name = file.name;
    const download = document.createElement("a");
    download.href = fileUrl(file.name);
    download.download = file.name;
    download.textContent = file.name;
    item.append(download, ` ${file.title} (${file.duration.toFixed(1)} s) `);
    if (file.audio) {
      const listen = document.createElement("button");
      listen.type = "button";
      listen.className = "listen";
      listen.textContent = "Play";
      listen.addEventListener("click", () => { player.src = fileUrl(file.name); player.play(); });
      item.append(listen);
    }
    buildFiles.append(item);
  }
  return running;
}

let following = false;  // one poll at a time, however often Build is clicked

async function followBuild() {
  if (following) return;
  following = true;
  try {
    while (showBuild(await api("/api/build"))) await new Promise((done) => setTimeout(done, 500));
  } catch (error) {
    buildStatus.textContent = error.message;
  } finally {
    following = false;
  }
}

buildButton.addEventListener("click", async () => {
  try {
    showBuild(await api("/api/build", {method: "POST"}));
  } catch (error) {
    status.textContent = error.message;  // a build already running: said here; its progress goes on beside Build
  }
  followBuild();
});
followBuild();  // a build started before this page was opened (or reloaded) shows where it is

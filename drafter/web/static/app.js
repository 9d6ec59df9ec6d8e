// Drafter's page: plain JavaScript, no framework, nothing loaded from elsewhere.
// It talks to the JSON routes of drafter/web/app.py; every check is the server's (drafter/web/recheck.py).
"use strict";

const $ = (sel, el = document) => el.querySelector(sel);
const $$ = (sel, el = document) => [...el.querySelectorAll(sel)];
const CSRF = $('meta[name="csrf-token"]').content;
const KINDS = ["opening", "work", "problems", "next_steps", "closing"];
const KIND_LABELS = {opening: "开头", work: "工作开展情况", problems: "存在问题", next_steps: "下步工作打算", closing: "结尾"};
// Labels of the checker's finding kinds; a kind not listed here (a new check) shows under its own name.
const FINDING_LABELS = {
  missing: "缺失", altered: "数字有误", invented: "无来源数字", stale: "旧报告数字", unit_mismatch: "单位不符",
  misplaced: "数字位置不符", placeholder: "占位符", stale_name: "他处名称", copied: "照抄原文",
};
const STATUS_LABELS = {placed: "已写入", missing: "缺失", altered: "数字有误", misplaced: "位置不符", unit_mismatch: "单位不符"};
const DRAFT_STATUS = {queued: "排队中", running: "起草中", done: "完成", failed: "失败", incomplete: "未完成", interrupted: "已中断"};

const state = {doc: emptyDoc(), rowErrors: [], upload: null, draft: null, source: null, timers: {}, composing: false};

function emptyDoc() { return {title: "", organisation: "", period: "", figures: [], facts: [], names: []}; }
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
function findingLabel(kind) { return FINDING_LABELS[kind] || kind; }
function cssKind(kind) { return String(kind).replace(/[^A-Za-z0-9_-]/g, "_"); }

async function api(method, url, body) {
  const opts = {method, headers: {"X-CSRF-Token": CSRF}, credentials: "same-origin"};
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const resp = await fetch(url, opts);
  let data = null;
  try { data = await resp.json(); } catch (e) { data = {error: `服务器返回 ${resp.status}`}; }
  return {ok: resp.ok, status: resp.status, data};
}

function follow(jobId, handlers) {
  const es = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
  }
  const end = () => es.close();
  es.addEventListener("done", end);
  es.addEventListener("error", (ev) => {
    if (ev.data) { end(); handlers.failed && handlers.failed(JSON.parse(ev.data)); }  // the job failed: its message
    else if (es.readyState === 2) { end(); handlers.lost && handlers.lost(); }  // the server went away (restarted?)
  });
  return es;
}

// ---------------------------------------------------------------- tabs and status
function showTab() {
  const [tab, id] = (location.hash.slice(1) || "corpus").split("/");
  for (const s of $$(".tab")) s.hidden = s.id !== `tab-${tab}`;
  for (const a of $$(".tabs a")) a.classList.toggle("active", a.dataset.tab === tab);
  if (tab === "corpus") loadReports();
  if (tab === "drafts") loadDraftList();
  if (tab === "draft" && id && (!state.draft || state.draft.id !== id)) openDraft(id);
}
async function pollStatus() {
  const r = await api("GET", "/api/status").catch(() => null);
  const box = $("#status");
  if (!r || !r.ok) { box.textContent = "服务器无响应"; box.className = "status down"; return; }
  const s = r.data;
  const model = {ready: "模型就绪", starting: "模型启动中…", failed: "模型未能启动", stopped: "模型未启动"}[s.model] || s.model;
  box.textContent = `${model}（${s.model_name}） · 任务队列 ${s.queue}`;
  box.title = s.model_error || "";
  box.className = "status " + (s.model === "failed" ? "down" : s.model === "ready" ? "up" : "");
}

// ---------------------------------------------------------------- past reports
function chosenFiles() {
  const files = [...$("#corpus-files").files, ...$("#corpus-folder").files];
  $("#corpus-chosen").textContent = files.length ? `已选 ${files.length} 个文件` : "未选择";
  return files;
}
async function submitCorpus(ev) {
  ev.preventDefault();
  const files = chosenFiles();
  if (!files.length) { $("#corpus-chosen").textContent = "请先选择文件或文件夹"; return; }
  const fd = new FormData();
  for (const f of files) fd.append("files", f, f.webkitRelativePath || f.name);
  const box = $("#corpus-progress"), log = $(".log", box), bar = $(".bar span", box);
  box.hidden = false; log.textContent = "正在上传…"; bar.style.width = "0";
  $("#corpus-result").replaceChildren();
  const r = await api("POST", "/api/corpus", fd);
  if (!r.ok) { log.textContent = r.data.error; showRefused(r.data.refused || []); return; }
  showRefused(r.data.refused);
  follow(r.data.job, {
    queued: (d) => { log.textContent = d.ahead ? `排队中：前面还有 ${d.ahead} 项任务` : "即将开始…"; },
    started: () => { log.textContent = "正在导入…"; },
    file: (d) => { bar.style.width = `${(100 * d.done / d.total).toFixed(0)}%`; log.textContent = `${d.done}/${d.total} ${d.name}`; },
    done: (d) => { bar.style.width = "100%"; log.textContent = `导入完成（${d.seconds} 秒），库中共 ${d.total_chunks} 个片段。`; showIngest(d); loadReports(); },
    failed: (d) => { log.textContent = d.message; log.classList.add("bad"); },
  });
}
function showRefused(refused) {
  if (!refused.length) return;
  $("#corpus-result").append(el("div", {class: "errors"}, ...refused.map((x) => el("div", {text: x.reason}))));
}
function showIngest(d) {
  const rows = d.files.map((f) => el("tr", {class: f.skipped ? "bad" : ""},
    el("td", {text: f.name}), el("td", {text: f.encoding || ""}), el("td", {text: f.reports}), el("td", {text: f.sections}),
    el("td", {text: f.chunks}), el("td", {text: f.added}), el("td", {text: f.skipped || ""})));
  const t = el("table", {class: "grid"}, el("thead", {}, el("tr", {}, ...["文件", "编码", "报告", "章节", "片段", "新增", "跳过原因"].map((h) => el("th", {text: h})))),
    el("tbody", {}, ...rows));
  $("#corpus-result").append(t);
}
async function loadReports() {
  const r = await api("GET", "/api/corpus/reports");
  const body = $("#reports tbody");
  if (!r.ok) { body.replaceChildren(el("tr", {}, el("td", {colspan: 6, text: r.data.error}))); return; }
  if (!r.data.reports.length) { body.replaceChildren(el("tr", {}, el("td", {colspan: 6, class: "muted", text: "库中还没有报告。起草时若库为空，将使用 Drafter 自带的示例报告。"}))); return; }
  body.replaceChildren(...r.data.reports.map((rep) => el("tr", {},
    el("td", {text: rep.title}), el("td", {text: rep.year || "-"}), el("td", {text: rep.sections}), el("td", {text: rep.chunks}),
    el("td", {class: "muted", text: rep.source}),
    el("td", {}, el("button", {type: "button", class: "link", text: "查看章节", onclick: () => showReport(rep.id)})))));
}
async function showReport(id) {
  const r = await api("GET", `/api/corpus/reports/${encodeURIComponent(id)}`);
  const box = $("#report-detail");
  if (!r.ok) { box.textContent = r.data.error; return; }
  const d = r.data;
  box.replaceChildren(el("h3", {text: `${d.title}（${d.year || "-"}）`}), el("p", {class: "muted", text: d.source}),
    ...d.sections.map((s) => el("details", {class: "report-section"},
      el("summary", {}, el("span", {class: "path", text: s.path.join(" / ") || "（无标题）"}), el("span", {class: "badge", text: s.label}),
        el("span", {class: "muted", text: ` ${s.chunks.length} 个片段`})),
      ...s.chunks.map((c) => el("p", {class: "chunk", text: c})))));
  box.scrollIntoView({behavior: "smooth"});
}

// ---------------------------------------------------------------- figures
function renderFigures() {
  const d = state.doc;
  $("#f-title").value = d.title || ""; $("#f-organisation").value = d.organisation || ""; $("#f-period").value = d.period || "";
  $("#f-facts").value = (d.facts || []).map((f) => (typeof f === "string" ? f : (f.section ? `${f.section}: ${f.text}` : f.text))).join("\n");
  $("#f-names").value = (d.names || []).join("\n");
  renderRows();
}
function renderRows() {
  const body = $("#figures-table tbody");
  body.replaceChildren(...state.doc.figures.map((row, i) => {
    const err = state.rowErrors[i];
    const input = (key, size) => el("input", {value: row[key] ?? "", size, "data-key": key, oninput: (ev) => { row[key] = ev.target.value; scheduleCheck(); }});
    const sel = el("select", {"data-key": "section", onchange: (ev) => { row.section = ev.target.value; scheduleCheck(); }},
      el("option", {value: "", text: "（自动）"}), ...KINDS.map((k) => el("option", {value: k, text: KIND_LABELS[k]})));
    sel.value = row.section || "";
    return el("tr", {class: err ? "bad" : ""}, el("td", {class: "muted", text: i + 1}), el("td", {}, input("name", 22)),
      el("td", {}, input("value", 8)), el("td", {}, input("unit", 5)), el("td", {}, sel),
      el("td", {class: "err", text: err || ""}),
      el("td", {}, el("button", {type: "button", class: "link", title: "删除这一行", text: "✕", onclick: () => { state.doc.figures.splice(i, 1); state.rowErrors.splice(i, 1); renderRows(); scheduleCheck(); }})));
  }));
}
function collectDoc() {
  const d = state.doc;
  d.title = $("#f-title").value.trim(); d.organisation = $("#f-organisation").value.trim(); d.period = $("#f-period").value.trim();
  d.facts = $("#f-facts").value.split("\n").map((s) => s.trim()).filter(Boolean).map((line) => {
    const m = line.match(/^(opening|work|problems|next_steps|closing)\s*[:：]\s*(.+)$/);
    return m ? {text: m[2], section: m[1]} : {text: line, section: ""};
  });
  d.names = $("#f-names").value.split("\n").map((s) => s.trim()).filter(Boolean);
  return d;
}
function showFigureErrors(rowErrors, errors) {
  state.rowErrors = rowErrors || [];
  renderRows();
  const box = $("#figures-errors");
  const n = state.rowErrors.filter(Boolean).length;
  const lines = [...(n ? [`有 ${n} 行数据需要更正（见表中红色行）：`] : []), ...state.rowErrors.filter(Boolean), ...(errors || [])];
  box.replaceChildren(...lines.map((t) => el("div", {text: t})));
}
function scheduleCheck() {
  clearTimeout(state.timers.check);
  state.timers.check = setTimeout(async () => {
    const r = await api("POST", "/api/figures/check", collectDoc());
    if (r.ok) showFigureErrors(r.data.row_errors, r.data.errors);
  }, 300);
}
async function uploadFigures(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  const fd = new FormData();
  fd.append("file", file, file.name);
  const r = await api("POST", "/api/figures/upload", fd);
  ev.target.value = "";
  if (!r.ok) { $("#figures-errors").replaceChildren(el("div", {text: r.data.error})); return; }
  state.doc = r.data.document; state.upload = r.data.upload;
  $("#figures-source").textContent = `来自 ${r.data.name}`;
  renderFigures();
  showFigureErrors(r.data.row_errors, r.data.errors);
}

// ---------------------------------------------------------------- drafting
async function submitDraft(ev) {
  ev.preventDefault();
  const scope = $('input[name="scope"]:checked').value;
  const body = {figures: collectDoc(), script: $('input[name="script"]:checked').value, upload: state.upload};
  if (scope === "sections") body.sections = $$('input[name="kind"]:checked').map((c) => c.value);
  if (scope === "outline") body.outline = $("#outline").value;
  $("#draft-errors").replaceChildren();
  const r = await api("POST", "/api/drafts", body);
  if (!r.ok) {
    $("#draft-errors").replaceChildren(el("div", {text: r.data.error}), ...(r.data.errors || []).map((t) => el("div", {text: t})));
    if (r.data.row_errors) { showFigureErrors(r.data.row_errors, r.data.errors); }
    return;
  }
  state.draft = {id: r.data.id, sections: [], status: "queued", figures: body.figures, title: ""};
  history.replaceState(null, "", `#draft/${r.data.id}`);
  renderDraft();
  track(r.data.job);
}
function track(jobId) {
  const box = $("#draft-progress"), queue = $(".queue", box), log = $(".log", box), tokens = $(".tokens", box);
  box.hidden = false; log.replaceChildren(); tokens.textContent = "";
  $("#draft-submit").disabled = true;
  follow(jobId, {
    queued: (d) => { queue.textContent = d.ahead ? `排队中：前面还有 ${d.ahead} 项任务` : "即将开始…"; },
    started: () => { queue.textContent = "正在起草…"; },
    section_start: (d) => { tokens.textContent = ""; log.append(el("div", {text: `正在写：${d.heading}`})); },
    token: (t) => { tokens.textContent += t; tokens.scrollTop = tokens.scrollHeight; },
    section: (view) => {
      log.append(el("div", {class: "good", text: `✓ ${view.heading || KIND_LABELS[view.kind] || view.kind}：${view.ok ? "未发现问题" : view.findings.length + " 处问题"}`}));
      if (state.draft) { state.draft.sections[view.index] = view; state.draft.status = "running"; renderDraft(); }
    },
    done: (d) => { queue.textContent = "起草完成"; tokens.textContent = ""; $("#draft-submit").disabled = false; openDraft(d.id); },
    failed: (d) => { queue.textContent = ""; $("#draft-submit").disabled = false; $("#draft-errors").replaceChildren(el("div", {text: d.message})); if (state.draft) openDraft(state.draft.id); },
    lost: () => { queue.textContent = "与服务器的连接已断开。"; $("#draft-submit").disabled = false; if (state.draft) openDraft(state.draft.id); },
  });
}
async function openDraft(id) {
  const r = await api("GET", `/api/drafts/${encodeURIComponent(id)}`);
  if (!r.ok) { $("#draft-errors").replaceChildren(el("div", {text: r.data.error})); return; }
  state.draft = r.data;
  renderDraft();
  if (r.data.job && r.data.status !== "done") track(r.data.job);
}

// Text of an editable body: text nodes as they are, <br> and blocks as line breaks.
function textOf(node) {
  let out = "";
  for (const c of node.childNodes) {
    if (c.nodeType === 3) out += c.nodeValue;
    else if (c.nodeName === "BR") out += "\n";
    else if (c.nodeType === 1 || c.nodeType === 11) { if (/^(DIV|P)$/.test(c.nodeName) && out && !out.endsWith("\n")) out += "\n"; out += textOf(c); }
  }
  return out;
}
function caretOffset(body) {
  const sel = getSelection();
  if (!sel.rangeCount || !body.contains(sel.focusNode)) return null;
  const r = document.createRange();
  r.selectNodeContents(body);
  r.setEnd(sel.focusNode, sel.focusOffset);
  return textOf(r.cloneContents()).length;
}
function setCaret(body, offset) {
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let n, left = offset;
  while ((n = walker.nextNode())) {
    if (left <= n.nodeValue.length) { getSelection().collapse(n, left); return; }
    left -= n.nodeValue.length;
  }
  getSelection().collapse(body, body.childNodes.length);
}
// Highlight every finding with a place (start >= 0) in the text; overlapping findings share a mark.
function renderMarked(body, text, findings) {
  const spans = findings.map((f, i) => ({...f, i})).filter((f) => f.start >= 0 && f.end > f.start && f.end <= text.length);
  const cuts = [...new Set([0, text.length, ...spans.flatMap((f) => [f.start, f.end])])].sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  for (let k = 0; k < cuts.length - 1; k++) {
    const a = cuts[k], b = cuts[k + 1], piece = text.slice(a, b);
    const cover = spans.filter((f) => f.start <= a && f.end >= b);
    if (!cover.length) { frag.append(piece); continue; }
    frag.append(el("mark", {class: "f " + cover.map((f) => `f-${cssKind(f.kind)}`).join(" "), "data-findings": cover.map((f) => f.i).join(","),
      title: cover.map((f) => `${findingLabel(f.kind)}：${f.explanation}`).join("\n"), text: piece}));
  }
  body.replaceChildren(frag);
}
function renderDraft() {
  const d = state.draft;
  $("#draft-view").hidden = !d;
  if (!d) return;
  $("#draft-title").textContent = d.title || "（草稿）";
  const n = d.sections.reduce((s, x) => s + x.findings.length, 0);
  $("#draft-summary").textContent = `${DRAFT_STATUS[d.status] || d.status} · ` + (n ? `${n} 处待核` : "未发现问题 ✓");
  $("#draft-summary").className = "summary " + (n ? "bad" : "good");
  $("#dl-docx").href = `/api/drafts/${d.id}/draft.docx`; $("#dl-md").href = `/api/drafts/${d.id}/draft.md`;
  if (d.error) $("#draft-errors").replaceChildren(el("div", {text: d.error}));
  const box = $("#sections");
  const editable = !["queued", "running"].includes(d.status);
  box.replaceChildren(...d.sections.filter(Boolean).map((s) => sectionEl(s, editable)));
  renderSide();
}
function sectionEl(s, editable) {
  const body = el("div", {class: "body", spellcheck: "false", "data-index": s.index, lang: "zh"});
  if (editable) body.contentEditable = "plaintext-only";
  renderMarked(body, s.body, s.findings);
  body.addEventListener("input", () => scheduleRecheck(s.index));
  body.addEventListener("compositionstart", () => { state.composing = true; });
  body.addEventListener("compositionend", () => { state.composing = false; scheduleRecheck(s.index); });
  body.addEventListener("click", (ev) => { const m = ev.target.closest("mark"); if (m) showPopover(m, s); });
  const sources = s.sources.length ? el("details", {class: "sources"}, el("summary", {text: `参考的往年段落（${s.sources.length}）`}),
    ...s.sources.map((src) => el("div", {class: "source"}, el("div", {class: "muted", text: `${src.report} · ${src.section_path.join(" / ")} · ${src.score.toFixed(3)}`}),
      el("p", {text: src.text})))) : el("p", {class: "muted", text: "未参考往年段落。"});
  const meta = el("div", {class: "sec-meta"},
    el("span", {class: s.ok ? "good" : "bad", text: s.ok ? "✓ 未发现问题" : `${s.findings.length} 处问题`}),
    s.edited ? el("span", {class: "badge", text: "已修改"}) : null,
    ...(s.warnings || []).map((w) => el("span", {class: "warn", text: w})));
  return el("article", {class: "sec", "data-index": s.index, id: `sec-${s.index}`}, s.heading ? el("h3", {text: s.heading}) : null, body, meta, sources);
}
function renderSide() {
  const d = state.draft;
  const rows = [];
  for (const s of d.sections.filter(Boolean)) {
    for (const f of s.figures) {
      const row = (d.figures.figures || []).find((r) => String(r.name).trim() === f.name) || {};
      const input = el("input", {value: row.value ?? "", size: 7, "data-figure": f.name, title: "改后按回车",
        onkeydown: (ev) => { if (ev.key === "Enter") { ev.preventDefault(); changeFigure(f.name, ev.target.value); } }});
      rows.push(el("tr", {class: `st-${f.status}`}, el("td", {text: f.name, title: s.heading || KIND_LABELS[s.kind]}),
        el("td", {}, input, el("span", {class: "unit", text: row.unit || ""})),
        el("td", {}, el("span", {class: `badge st-${f.status}`, text: STATUS_LABELS[f.status] || f.status, title: f.explanation || ""}))));
    }
  }
  $("#figure-status tbody").replaceChildren(...rows);
  const items = [];
  for (const s of d.sections.filter(Boolean)) {
    s.findings.forEach((f, i) => items.push(el("li", {class: `finding k-${cssKind(f.kind)}`, onclick: () => focusFinding(s.index, i)},
      el("span", {class: `badge f-${cssKind(f.kind)}`, text: findingLabel(f.kind)}),
      el("span", {class: "where", text: ` ${s.heading || KIND_LABELS[s.kind] || s.kind}${f.text ? "「" + f.text + "」" : ""}`}),
      el("div", {class: "expl", text: f.explanation}))));
  }
  $("#findings").replaceChildren(...(items.length ? items : [el("li", {class: "muted", text: "没有问题。"})]));
}
function focusFinding(index, i) {
  const m = $$(`#sec-${index} mark`).find((x) => x.dataset.findings.split(",").includes(String(i)));
  const target = m || $(`#sec-${index}`);
  target.scrollIntoView({behavior: "smooth", block: "center"});
  if (m) { m.classList.add("flash"); setTimeout(() => m.classList.remove("flash"), 1200); showPopover(m, state.draft.sections[index]); }
}
function showPopover(mark, s) {
  const pop = $("#popover");
  const list = mark.dataset.findings.split(",").map((i) => s.findings[Number(i)]).filter(Boolean);
  pop.replaceChildren(...list.map((f) => el("div", {}, el("b", {text: findingLabel(f.kind)}), el("span", {text: "：" + f.explanation}))));
  const r = mark.getBoundingClientRect();
  pop.style.left = `${Math.max(8, r.left + window.scrollX)}px`; pop.style.top = `${r.bottom + window.scrollY + 6}px`;
  pop.hidden = false;
}
function scheduleRecheck(index) {
  clearTimeout(state.timers[`s${index}`]);
  state.timers[`s${index}`] = setTimeout(() => recheckSection(index), 120);
}
async function recheckSection(index) {
  if (state.composing) return;
  const body = $(`#sec-${index} .body`);
  const text = textOf(body);
  const r = await api("PUT", `/api/drafts/${state.draft.id}/sections/${index}`, {body: text});
  if (!r.ok) { $("#draft-errors").replaceChildren(el("div", {text: r.data.error})); return; }
  if (state.composing || textOf(body) !== r.data.body) return; // typed on meanwhile: the next check follows
  const focused = document.activeElement === body;
  const caret = focused ? caretOffset(body) : null;
  state.draft.sections[index] = r.data;
  const open = $(`#sec-${index} details.sources`)?.open;
  $(`#sec-${index}`).replaceWith(sectionEl(r.data, true));
  if (open) $(`#sec-${index} details.sources`).open = true;
  const fresh = $(`#sec-${index} .body`);
  if (focused) { fresh.focus(); if (caret !== null) setCaret(fresh, caret); }
  renderSummary();
  renderSide();
}
function renderSummary() {
  const d = state.draft;
  const n = d.sections.reduce((s, x) => s + x.findings.length, 0);
  $("#draft-summary").textContent = `${DRAFT_STATUS[d.status] || d.status} · ` + (n ? `${n} 处待核` : "未发现问题 ✓");
  $("#draft-summary").className = "summary " + (n ? "bad" : "good");
}
async function changeFigure(name, value) {
  const r = await api("POST", `/api/drafts/${state.draft.id}/figure`, {name, value});
  const note = $("#figure-note");
  if (!r.ok) { note.textContent = r.data.error; note.className = "note bad"; return; }
  state.draft = r.data;
  renderDraft();
  const where = r.data.placed.length ? `已在${r.data.placed.join("、")}中改写` : "";
  const manual = r.data.not_placed.length ? `${r.data.not_placed.join("、")}中未找到该数据，请手动修改` : "";
  note.textContent = `${name}：${[where, manual].filter(Boolean).join("；")}。`;
  note.className = "note " + (manual ? "bad" : "good");
}

// ---------------------------------------------------------------- saved drafts
async function loadDraftList() {
  const r = await api("GET", "/api/drafts");
  const body = $("#draft-list tbody");
  if (!r.ok) { body.replaceChildren(el("tr", {}, el("td", {colspan: 6, text: r.data.error}))); return; }
  if (!r.data.drafts.length) { body.replaceChildren(el("tr", {}, el("td", {colspan: 6, class: "muted", text: "还没有草稿。"}))); return; }
  body.replaceChildren(...r.data.drafts.map((x) => el("tr", {},
    el("td", {text: x.created}), el("td", {text: x.title || "（未命名）"}), el("td", {text: DRAFT_STATUS[x.status] || x.status}),
    el("td", {text: x.sections}), el("td", {class: x.findings ? "bad" : "good", text: x.findings}),
    el("td", {}, el("a", {href: `#draft/${x.id}`, text: "打开"})))));
}

// ---------------------------------------------------------------- wiring
window.addEventListener("hashchange", showTab);
document.addEventListener("click", (ev) => { if (!ev.target.closest("mark") && !ev.target.closest("#popover")) $("#popover").hidden = true; });
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") $("#popover").hidden = true; });
$("#corpus-form").addEventListener("submit", submitCorpus);
$("#corpus-files").addEventListener("change", chosenFiles);
$("#corpus-folder").addEventListener("change", chosenFiles);
$("#reports-refresh").addEventListener("click", loadReports);
$("#figures-file").addEventListener("change", uploadFigures);
$("#add-row").addEventListener("click", () => { state.doc.figures.push({name: "", value: "", unit: "", section: ""}); renderRows(); });
for (const id of ["#f-title", "#f-organisation", "#f-period", "#f-facts", "#f-names"]) $(id).addEventListener("input", scheduleCheck);
$("#draft-form").addEventListener("submit", submitDraft);
renderFigures();
showTab();
pollStatus();
setInterval(pollStatus, 3000);

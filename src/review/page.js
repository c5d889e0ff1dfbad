'use strict';
// Every request carries the session token from the address this page was opened with.
const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);
const THEME_KEYS = ['Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7',
  'Digit8', 'Digit9', 'Digit0', 'Minus', 'Equal'];
const KEY_LABEL = (code) => code.replace('Digit', '').replace('Minus', '-').replace('Equal', '=');
const SENTIMENT_KEYS = { p: 'positive', n: 'negative', m: 'mixed', u: 'neutral' };
const TRIAGE_KEYS = { r: 'urgent', f: 'formal', c: 'contact_requested' };
let meta = null;
let item = null;
let chosen = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function api(path, body) {
  const init = { method: body === undefined ? 'GET' : 'POST', headers: { Authorization: 'Bearer ' + token } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}

function say(msg, isError) {
  const s = $('status');
  s.textContent = msg;
  s.className = isError ? 'err' : '';
}

function themeLabel(id) {
  const t = meta.themes.find((x) => x.id === id);
  return t ? t.label : id;
}

function fillSelect(sel, values, label) {
  for (const v of values) {
    const o = el('option', label ? label(v) : v);
    o.value = v;
    sel.appendChild(o);
  }
}

function filterQuery() {
  const q = new URLSearchParams();
  for (const f of ['theme', 'unit', 'month', 'lang']) {
    const v = $('f-' + f).value;
    if (v) q.set(f, v);
  }
  return q.toString();
}

function showCounts(labeled, remaining) {
  $('counts').textContent = labeled + ' labeled · ' + remaining + ' left · ' + meta.reviewer;
}

// The comment with every rule word the evidence names marked.
function renderText(text, words) {
  const box = $('text');
  box.replaceChildren();
  const lower = text.toLowerCase();
  const spans = [];
  for (const w of words) {
    const needle = (w || '').toLowerCase().trim();
    if (needle.length < 2) continue;
    let at = lower.indexOf(needle);
    while (at >= 0) {
      spans.push([at, at + needle.length]);
      at = lower.indexOf(needle, at + needle.length);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  let pos = 0;
  for (const [s, e] of spans) {
    if (s < pos) continue;
    box.appendChild(document.createTextNode(text.slice(pos, s)));
    box.appendChild(el('mark', text.slice(s, e)));
    pos = e;
  }
  box.appendChild(document.createTextNode(text.slice(pos)));
}

function startChoice(it) {
  const base = it.label || {
    themes: it.predicted.themes.map((t) => t.id),
    sentiment: it.predicted.sentiment,
    triage: it.predicted.classes,
  };
  chosen = { themes: new Set(base.themes), sentiment: base.sentiment, triage: new Set(base.triage) };
}

function renderChoice() {
  const pred = new Map(item.predicted.themes.map((t) => [t.id, t]));
  const themes = $('themes');
  themes.replaceChildren();
  meta.themes.forEach((t, i) => {
    const b = el('button', null, 'chip' + (chosen.themes.has(t.id) ? ' on' : ''));
    b.type = 'button';
    b.dataset.theme = t.id;
    if (i < THEME_KEYS.length) b.appendChild(el('kbd', KEY_LABEL(THEME_KEYS[i])));
    b.appendChild(document.createTextNode(t.label));
    const p = pred.get(t.id);
    if (p) {
      const why = p.evidence.filter((e) => e.matched).map((e) => '"' + e.matched + '"');
      if (p.model_p !== null && p.model_p !== undefined) why.push('model p=' + p.model_p.toFixed(2));
      b.appendChild(el('span', 'predicted: ' + why.join(', '), 'why'));
    }
    b.addEventListener('click', () => toggleTheme(t.id));
    themes.appendChild(b);
  });
  const sent = $('sentiment');
  sent.replaceChildren();
  for (const [k, s] of Object.entries(SENTIMENT_KEYS)) {
    const b = el('button', null, 'chip' + (chosen.sentiment === s ? ' on' : ''));
    b.type = 'button';
    b.appendChild(el('kbd', k.toUpperCase()));
    b.appendChild(document.createTextNode(s));
    b.addEventListener('click', () => { chosen.sentiment = s; renderChoice(); });
    sent.appendChild(b);
  }
  const tri = $('triage');
  tri.replaceChildren();
  for (const [k, c] of Object.entries(TRIAGE_KEYS)) {
    const b = el('button', null, 'chip ' + c + (chosen.triage.has(c) ? ' on' : ''));
    b.type = 'button';
    b.appendChild(el('kbd', k.toUpperCase()));
    b.appendChild(document.createTextNode(c.replace('_', ' ')));
    b.addEventListener('click', () => toggleTriage(c));
    tri.appendChild(b);
  }
}

function renderItem() {
  const it = item;
  $('done').hidden = !!it;
  $('card').hidden = !it;
  if (!it) return;
  const bits = [it.id, it.source, it.lang];
  if (it.unit) bits.push(it.unit);
  if (it.month) bits.push(it.month);
  if (it.nps !== null && it.nps !== undefined) bits.push('NPS ' + it.nps);
  bits.push('doubt ' + it.doubt.toFixed(2));
  $('meta').textContent = bits.join(' · ');
  const words = [];
  for (const t of it.predicted.themes) for (const e of t.evidence) words.push(e.matched);
  for (const r of it.predicted.reasons) words.push(r.matched);
  renderText(it.text, words);
  const badge = $('masked-badge');
  badge.textContent = it.masked ? 'personal data masked' : 'UNMASKED (logged)';
  badge.className = it.masked ? '' : 'off';
  $('unmask').hidden = !it.masked;
  const over = $('overruled');
  over.replaceChildren();
  for (const t of it.predicted.overruled) {
    const p = t.model_p === null || t.model_p === undefined ? '' : ' p=' + t.model_p.toFixed(2);
    over.appendChild(el('li', 'not ' + themeLabel(t.id) + ': rule "' +
      t.evidence.map((e) => e.matched).join('", "') + '" overruled by the model' + p));
  }
  const st = $('statements');
  st.replaceChildren();
  for (const s of it.predicted.statements) {
    const li = el('li', s.text);
    li.appendChild(el('span', '[' + s.themes.map(themeLabel).join(', ') + (s.themes.length ? ' · ' : '') + s.sentiment + ']', 'tags'));
    st.appendChild(li);
  }
  const rs = $('reasons');
  rs.replaceChildren();
  if (it.predicted.triage === 'possible_urgent') rs.appendChild(el('li', 'flagged possible_urgent: read today'));
  for (const r of it.predicted.reasons) {
    // A reason with no words matched is the model's (its kind of urgency).
    rs.appendChild(el('li', r.class + ': ' + r.rule + (r.matched ? ' "' + r.matched + '"' : ' (model)')));
  }
  if (it.predicted.urgent_p !== null && it.predicted.urgent_p !== undefined) {
    rs.appendChild(el('li', 'model urgent p=' + it.predicted.urgent_p.toFixed(2)));
  }
  if (it.label) say('already labeled by ' + it.label.reviewer + ' at ' + it.label.time);
  renderChoice();
}

async function loadNext() {
  try {
    const j = await api('/api/next?' + filterQuery());
    item = j.item;
    if (item) startChoice(item);
    renderItem();
    showCounts(j.labeled, j.remaining);
  } catch (e) { say(e.message, true); }
}

function toggleTheme(id) {
  if (chosen.themes.has(id)) chosen.themes.delete(id); else chosen.themes.add(id);
  renderChoice();
}

function toggleTriage(c) {
  if (chosen.triage.has(c)) chosen.triage.delete(c); else chosen.triage.add(c);
  renderChoice();
}

async function accept() {
  if (!item) return;
  const body = {
    id: item.id,
    themes: meta.themes.map((t) => t.id).filter((t) => chosen.themes.has(t)),
    sentiment: chosen.sentiment,
    triage: [...chosen.triage],
  };
  try {
    await api('/api/label', body);
    say('saved ' + item.id);
    await loadNext();
  } catch (e) { say(e.message, true); }
}

async function skip() {
  if (!item) return;
  try {
    await api('/api/skip', { id: item.id });
    say('skipped ' + item.id);
    await loadNext();
  } catch (e) { say(e.message, true); }
}

async function undo() {
  try {
    const j = await api('/api/undo', {});
    item = await api('/api/item/' + encodeURIComponent(j.id));
    startChoice(item);
    renderItem();
    say('undone: ' + j.id + ' is back');
  } catch (e) { say(e.message, true); }
}

async function unmask() {
  if (!item || !item.masked) return;
  try {
    const keep = chosen;
    item = await api('/api/item/' + encodeURIComponent(item.id) + '?unmask=true');
    renderItem();
    chosen = keep;
    renderChoice();
  } catch (e) { say(e.message, true); }
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if ($('tags').hidden) return;
  const t = e.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
  if (!item && e.key.toLowerCase() !== 'z') return;
  const k = e.key.toLowerCase();
  const ti = THEME_KEYS.indexOf(e.code);
  let handled = true;
  if (ti >= 0 && ti < meta.themes.length) toggleTheme(meta.themes[ti].id);
  else if (k === 'enter') accept();
  else if (k === 's') skip();
  else if (k === 'z' || k === 'backspace') undo();
  else if (k === 'v') unmask();
  else if (SENTIMENT_KEYS[k]) { chosen.sentiment = SENTIMENT_KEYS[k]; renderChoice(); }
  else if (TRIAGE_KEYS[k]) toggleTriage(TRIAGE_KEYS[k]);
  else handled = false;
  if (handled) e.preventDefault();
});

// Registry queue: status, owner and note per item, saved beside queue.csv.
async function loadQueue() {
  try {
    const j = await api('/api/queue');
    const body = $('queue-rows');
    body.replaceChildren();
    for (const q of j.items) {
      const tr = el('tr', null, q.classes.split(';').includes('urgent') || q.triage === 'urgent' ? 'urgent' : '');
      for (const v of [(q.classes || q.triage).replaceAll(';', '; ').replaceAll('_', ' '), q.id, q.unit, q.reasons, q.excerpt]) tr.appendChild(el('td', v));
      const status = el('select');
      fillSelect(status, j.statuses);
      status.value = q.status;
      const owner = el('input');
      owner.value = q.owner;
      const note = el('textarea');
      note.rows = 2;
      note.value = q.note;
      const save = el('button', 'Save');
      save.type = 'button';
      save.addEventListener('click', async () => {
        try {
          await api('/api/queue/status', { source: q.source, status: status.value, owner: owner.value, note: note.value });
          say('saved ' + (q.id || q.source) + ': ' + status.value);
        } catch (err) { say(err.message, true); }
      });
      for (const [c, cls] of [[status, 'st'], [owner, 'own'], [note, 'note'], [save, '']]) {
        const td = el('td', null, cls);
        td.appendChild(c);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  } catch (e) { say(e.message, true); }
}

function showTab(queue) {
  $('tags').hidden = queue;
  $('queue').hidden = !queue;
  $('tab-tags').classList.toggle('on', !queue);
  $('tab-queue').classList.toggle('on', queue);
  document.querySelector('main').classList.toggle('wide', queue);
  if (queue) loadQueue();
}

async function start() {
  try {
    meta = await api('/api/meta');
  } catch (e) { say(e.message, true); return; }
  fillSelect($('f-theme'), meta.themes.map((t) => t.id), themeLabel);
  fillSelect($('f-unit'), meta.units);
  fillSelect($('f-month'), meta.months);
  fillSelect($('f-lang'), meta.langs);
  for (const f of ['theme', 'unit', 'month', 'lang']) $('f-' + f).addEventListener('change', loadNext);
  $('accept').addEventListener('click', accept);
  $('skip').addEventListener('click', skip);
  $('undo').addEventListener('click', undo);
  $('unmask').addEventListener('click', unmask);
  $('tab-tags').addEventListener('click', () => showTab(false));
  $('tab-queue').addEventListener('click', () => showTab(true));
  $('tab-queue').hidden = !meta.queue;
  if (meta.total === 0 && meta.queue) showTab(true); else await loadNext();
}

start();

// The generic player: any turn-based game this page has no board for (a developer's own new
// game) is playable at once. It shows the view as a collapsible tree, offers the legal actions
// as buttons, takes any action typed as JSON, and logs what happened.
//
// ctx (beyond what every module gets: names, act): legalActions() → Promise of the acting
// seat's legal actions, or null when they are not known (online games with hidden
// information); isOver() → whether the game has ended. Both are optional.

const INLINE_MAX = 32;       // arrays of at most this many scalars are drawn as one row of cells
const OPEN_MAX = 64;         // containers larger than this start collapsed
const OPEN_DEPTH = 4;        // and so do containers this deep
const FILTER_FROM = 13;      // a filter box appears from this many legal actions on
const LOG_MAX = 200;         // log lines kept
const LABEL_MAX = 90;        // longest action label before it is cut (the title has it all)

/**
 * The seats that may act. A view alone does not say, so offline `app.js` passes the session:
 * the seats with at least one legal action (the rules promise none for a seat that may not
 * act). Without it (online) nobody is named and the action panel says what this seat may do.
 */
export function actors(view, session) {
  if (!session || typeof session.legalActions !== 'function') return [];
  try {
    if (session.isOver) return [];
    const seats = [];
    for (let seat = 0; seat < session.seats; seat++) {
      const legal = session.legalActions(seat);
      if (Array.isArray(legal) && legal.length) seats.push(seat);
    }
    return seats;
  } catch {
    return [];
  }
}

const IDENT = /^[A-Za-z_][\w-]*$/;
const keyText = (k) => (IDENT.test(k) ? k : JSON.stringify(k));

/**
 * One line for a game value: `challenge`, `bid {count: 3, face: 4}`, `clue "bun"`,
 * `column 3`. An object with one key reads as a verb and its argument (serde's enum form).
 */
export function compact(value, top = true) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return top && IDENT.test(value) ? value : JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => compact(v, false)).join(', ')}]`;
  const keys = Object.keys(value);
  if (top && keys.length === 1 && IDENT.test(keys[0])) return `${keys[0]} ${compact(value[keys[0]], false)}`;
  return `{${keys.map((k) => `${keyText(k)}: ${compact(value[k], false)}`).join(', ')}}`;
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A box holding other nodes. */
function box(className, ...children) {
  const n = node('div', className);
  n.append(...children);
  return n;
}

const isContainer = (v) => v !== null && typeof v === 'object';
const isScalar = (v) => !isContainer(v);
const typeOf = (v) => (v === null || v === undefined ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A scalar as text: strings quoted, null as a dash. */
function scalarNode(v) {
  const span = node('span', `value ${typeOf(v)}`, v === null || v === undefined ? '—' : typeof v === 'string' ? JSON.stringify(v) : String(v));
  if (v === null) span.title = 'null';
  return span;
}

/** Every scalar of `value` by path, to mark what changed since the last view. */
function leaves(value, path = '$', out = new Map()) {
  if (isContainer(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, `${path}/${k}`, out);
  } else {
    out.set(path, JSON.stringify(value ?? null));
  }
  return out;
}

export function create(area, ctx) {
  const el = node('div', 'generic');
  const note = node('p', 'hint', 'This page has no board for this game yet: here is its view as data and its legal actions.');

  // ------------------------------------------------------------ the view
  const state = node('section', 'generic-state');
  state.setAttribute('aria-labelledby', 'generic-view-title');
  const stateHead = node('div', 'row between');
  const viewTitle = node('h3', '', 'View');
  viewTitle.id = 'generic-view-title';
  const copy = Object.assign(node('button', '', 'Copy JSON'), { id: 'generic-copy', type: 'button' });
  stateHead.append(viewTitle, copy);
  const tree = node('div', 'tree');
  tree.id = 'generic-view';
  const raw = node('details', 'generic-raw');
  const rawText = node('pre');
  rawText.id = 'generic-pre';
  raw.append(node('summary', '', 'JSON text'), rawText);
  state.append(stateHead, tree, raw);

  // ------------------------------------------------------------ actions
  const play = node('section', 'generic-play');
  play.setAttribute('aria-labelledby', 'generic-actions-title');
  const actionsTitle = node('h3', '', 'Actions');
  actionsTitle.id = 'generic-actions-title';
  const status = node('p', 'hint');
  status.id = 'generic-status';
  status.setAttribute('aria-live', 'polite');
  const filter = Object.assign(node('input'), { id: 'generic-filter', type: 'search', placeholder: 'Filter actions', autocomplete: 'off' });
  filter.setAttribute('aria-label', 'Filter the legal actions');
  filter.hidden = true;
  const list = node('div', 'generic-actions');
  list.id = 'generic-actions';
  list.setAttribute('role', 'group');
  list.setAttribute('aria-labelledby', 'generic-actions-title');

  const form = node('form', 'generic-form');
  const label = node('label', '', 'Action as JSON');
  label.htmlFor = 'generic-json';
  const text = Object.assign(node('textarea'), { id: 'generic-json', rows: 3, spellcheck: false, autocomplete: 'off' });
  text.setAttribute('aria-describedby', 'generic-error');
  const send = Object.assign(node('button', '', 'Send'), { id: 'generic-send', type: 'submit' });
  const error = node('p', 'generic-error');
  error.id = 'generic-error';
  error.setAttribute('role', 'alert');
  form.append(label, text, box('row', send, node('span', 'hint', 'Ctrl+Enter sends')), error);

  const logTitle = node('h3', '', 'Log');
  logTitle.id = 'generic-log-title';
  const log = node('ol', 'generic-log');
  log.id = 'generic-log';
  log.setAttribute('aria-labelledby', 'generic-log-title');
  logTitle.hidden = log.hidden = true;
  play.append(actionsTitle, status, filter, list, form, logTitle, log);

  el.append(note, box('generic-cols', state, play));
  area.append(el);

  let current = null;        // the view on screen
  let currentMe = null;
  let previous = null;       // its leaves, to mark changes (same viewer only)
  let asked = 0;             // legal-action requests, to drop stale answers
  let shownActions = null;   // what the action buttons were drawn from
  let busy = false;
  const opened = new Map();  // path → open, as the user left it

  // ------------------------------------------------------------ the tree
  tree.addEventListener('toggle', (ev) => {
    const d = ev.target;
    if (d.dataset?.path) opened.set(d.dataset.path, d.open);
  }, true); // `toggle` does not bubble

  function keyNode(k, index) {
    return node('span', index ? 'key index' : 'key', index ? String(k) : k);
  }

  /** One entry: a leaf line, or a collapsible container. */
  function entry(k, v, path, depth, index, changed) {
    const li = node('li');
    const key = k === null ? null : keyNode(k, index);
    if (isScalar(v)) {
      li.className = 'leaf' + (changed(path) ? ' changed' : '');
      if (key) li.append(key, node('span', 'sep', ': '));
      li.append(scalarNode(v));
      return li;
    }
    const arr = Array.isArray(v);
    const size = arr ? v.length : Object.keys(v).length;
    if (!size) {
      li.className = 'leaf';
      if (key) li.append(key, node('span', 'sep', ': '));
      li.append(node('span', 'value empty', arr ? '[ ]' : '{ }'));
      return li;
    }
    // A short array of scalars (a board row, scores): one row of cells with small indexes.
    if (arr && size <= INLINE_MAX && v.every(isScalar)) {
      li.className = 'leaf';
      if (key) li.append(key, node('span', 'sep', ': '));
      const row = node('ol', 'cells');
      row.start = 0;
      v.forEach((x, i) => {
        const cell = node('li', changed(`${path}/${i}`) ? 'changed' : '');
        cell.dataset.index = String(i);
        cell.append(scalarNode(x));
        row.append(cell);
      });
      li.append(row);
      return li;
    }
    li.className = 'branch';
    const d = node('details');
    d.dataset.path = path;
    d.open = opened.get(path) ?? (depth < OPEN_DEPTH && size <= OPEN_MAX);
    const summary = node('summary');
    if (key) summary.append(key, ' ');
    summary.append(node('span', 'count', arr ? `[${size}]` : `{${size}}`));
    d.append(summary, children(v, path, depth + 1, changed));
    li.append(d);
    return li;
  }

  function children(v, path, depth, changed) {
    const ul = node('ul');
    const arr = Array.isArray(v);
    for (const [k, x] of Object.entries(v)) ul.append(entry(k, x, `${path}/${k}`, depth, arr, changed));
    return ul;
  }

  function drawTree(view, sameViewer) {
    const now = leaves(view);
    const before = sameViewer ? previous : null;
    const changed = (path) => !!before && now.has(path) && before.get(path) !== now.get(path);
    previous = now;
    if (isContainer(view) && (Array.isArray(view) ? view.length : Object.keys(view).length)) {
      tree.replaceChildren(children(view, '$', 0, changed));
    } else {
      const ul = node('ul');
      ul.append(entry(null, view, '$', 0, false, changed));
      tree.replaceChildren(ul);
    }
    rawText.textContent = JSON.stringify(view, null, 2);
  }

  copy.addEventListener('click', async () => {
    const json = JSON.stringify(current, null, 2);
    try {
      await navigator.clipboard.writeText(json);
      copy.textContent = 'Copied';
    } catch {
      // No clipboard (an insecure origin, a refusal): show the text, selected.
      raw.open = true;
      getSelection().selectAllChildren(rawText);
      copy.textContent = 'Selected';
    }
    setTimeout(() => { copy.textContent = 'Copy JSON'; }, 1500);
  });

  // ------------------------------------------------------------ acting
  function setBusy(on) {
    busy = on;
    send.disabled = on;
    for (const b of list.querySelectorAll('button')) b.disabled = on;
  }

  async function act(action) {
    if (busy) return false;
    error.textContent = '';
    shownActions = null;
    setBusy(true);
    try {
      // Offline `act` answers at once, online it resolves once the host accepted the action;
      // a refusal is shown by the page's own message line.
      return !!(await ctx.act(action));
    } finally {
      setBusy(false);
    }
  }

  list.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-action]');
    if (b) act(JSON.parse(b.dataset.action));
  });

  function parse(source) {
    const t = source.trim();
    if (!t) return { error: 'Type an action as JSON first.' };
    try {
      return { action: JSON.parse(t) };
    } catch (e) {
      const hint = IDENT.test(t) ? ` A word needs quotes in JSON: "${t}".` : '';
      return { error: `That is not JSON (${e.message}).${hint}` };
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { action, error: problem } = parse(text.value);
    error.textContent = problem || '';
    if (problem) return;
    await act(action);
  });
  text.addEventListener('input', () => { error.textContent = ''; });
  text.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const b of list.children) b.hidden = !!q && !b.textContent.toLowerCase().includes(q);
  }
  filter.addEventListener('input', applyFilter);

  function drawActions(legal, me) {
    const seated = me !== null && me !== undefined;
    const over = ctx.isOver?.() === true;
    form.hidden = !seated || over;
    filter.hidden = !Array.isArray(legal) || legal.length < FILTER_FROM;
    // The same buttons as on screen stay until an action is sent: a view shown again (a room
    // state, a legal-action answer that overtook its view) must not swap a button from under
    // a click on its way. After a click they are always drawn afresh, which says it was taken.
    const drawn = JSON.stringify([seated, over, Array.isArray(legal) ? legal : null]);
    const keep = drawn === shownActions;
    shownActions = drawn;
    if (!keep) list.replaceChildren();
    if (over) {
      status.textContent = 'The game is over.';
    } else if (!seated) {
      status.textContent = 'You are watching.';
    } else if (!Array.isArray(legal)) {
      status.textContent = 'Legal actions are not known here; type the action as JSON.';
    } else if (!legal.length) {
      const who = ctx.names(me);
      status.textContent = `No legal actions for ${who === 'You' ? 'you' : who} now.`;
    } else {
      status.textContent = `${ctx.names(me)}: ${legal.length} legal action${legal.length === 1 ? '' : 's'}.`;
      if (!keep) {
        for (const action of legal) {
          const json = JSON.stringify(action);
          const full = compact(action);
          const b = node('button', '', full.length > LABEL_MAX ? `${full.slice(0, LABEL_MAX - 1)}…` : full);
          b.type = 'button';
          b.dataset.action = json;
          b.title = json;
          b.disabled = busy;
          list.append(b);
        }
        applyFilter();
      }
    }
    text.placeholder = Array.isArray(legal) && legal.length ? `e.g. ${JSON.stringify(legal[0])}` : 'e.g. {"move": 1}';
  }

  async function refreshActions(me) {
    const mine = ++asked;
    let legal = null;
    try {
      legal = ctx.legalActions ? await ctx.legalActions() : null;
    } catch {
      legal = null; // unknown, not fatal: the JSON box still works
    }
    if (mine === asked) drawActions(legal, me);
  }

  // ------------------------------------------------------------ the log
  function logLine(events, seat, action) {
    const li = node('li');
    if (seat !== null && seat !== undefined) li.append(node('span', 'who', ctx.names(seat)), ' ');
    if (action !== null && action !== undefined) li.append(node('code', 'action', compact(action)));
    const evs = Array.isArray(events) ? events : [];
    if (evs.length) {
      if (li.childNodes.length) li.append(' → ');
      evs.forEach((e, i) => {
        if (i) li.append('; ');
        li.append(node('code', 'event', compact(e)));
      });
    }
    if (!li.childNodes.length) return;
    logTitle.hidden = log.hidden = false;
    log.append(li);
    while (log.children.length > LOG_MAX) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  return {
    el,
    show(view, me) {
      const sameViewer = me === currentMe && current !== null;
      current = view;
      currentMe = me;
      drawTree(view, sameViewer);
      refreshActions(me);
    },
    /** What happened: the events of one action (seat and action when known). */
    events(events, seat = null, action = null) {
      logLine(events, seat, action);
    },
    destroy() {
      asked++;
      el.remove();
    },
  };
}

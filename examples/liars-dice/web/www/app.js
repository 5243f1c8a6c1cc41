// Hearth web client. Offline games run on the shared rules compiled to Wasm (no network at
// all); online games go through the module's WebSocket client, which keeps the protocol,
// reconnects and mirrors perfect-information games. Each game's drawing lives in its own
// module with the same small interface: actors(view) and create(area, ctx) → {show, destroy}.
// A turn-based game without a module of its own gets the generic player (generic.js).
import init, * as hearth from './pkg/hearth.js';
import * as connectFour from './connect_four.js';
import * as chameleon from './chameleon.js';
import * as tanks from './tanks.js';
import * as generic from './generic.js';

const UIS = { 'connect-four': connectFour, chameleon, tanks };
const BOT_DELAY_MS = 600;        // long enough to see each bot move
const ROOMS_EVERY_MS = 5000;     // periodic room list refresh while browsing
const RESUME_KEY = 'hearth.resume';
const LEFT_REASONS = {
  left: 'You left the room.',
  kicked: 'The room’s host removed you from the room.',
  superseded: 'Your seat was taken over by another window or device.',
  room_closed: 'The room was closed.',
};

const $ = (sel) => document.querySelector(sel);
const area = $('#game-area');

let metas = [];          // GameMeta of every game the module carries
let client = null;       // the online Client while signed in
let room = null;         // the RoomState of the room we are in
let game = null;         // the game on screen (offline or online)
let linkDown = false;    // between `disconnected` and `reconnected`
let wasClosed = false;   // the client gave up: signed out until Reconnect
let roomsTimer = 0;
let shownBoardFor = null; // the room game the leaderboard last switched to
const standings = new Map();   // game name → latest leaderboard standings
const subscribed = new Set();  // leaderboards subscribed on the current connection
let lan = null;          // what a LAN host that served this page says of itself (GET /v1/lan)
/** How to drive a tank here: the keys, or the touch pad on a touch screen. */
const DRIVE = matchMedia('(pointer: coarse)').matches ? 'Drive and fire with the pad below the arena'
  : 'Drive with arrows or WASD, fire with Space';
const NAME_MAX = 24;     // a display name's length limit, as the host checks it

// ---------------------------------------------------------------- messages and helpers

/** Shows a sentence in the message area (empty clears it). */
function say(text) {
  const t = String(text || '');
  $('#message').textContent = t && t[0].toUpperCase() + t.slice(1);
}

/** Every failure ends up here: thrown Errors, rejected promises, pushed errors. */
function fail(err) {
  // A request cut off by a drop: the `disconnected` notice already says what happens.
  if (err && err.code === 'disconnected' && linkDown) return;
  say(err && err.message ? err.message : String(err || 'Something went wrong.'));
}

/** Runs a user action: clears the old message, disables the button meanwhile, always
 * re-enables it, and shows any failure. */
async function run(button, fn) {
  say('');
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    fail(e);
  } finally {
    if (button) button.disabled = false;
  }
}

function on(sel, fn) {
  $(sel).addEventListener('click', (ev) => run(ev.currentTarget, fn));
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const metaOf = (name) => metas.find((m) => m.name === name);

// ---------------------------------------------------------------- the generic player
// Turn-based games without a board of their own are played with generic.js. Its extras:
// - actors(view, session): offline, app.js passes the Session as a second argument (the
//   built-in modules ignore it), so turns come from which seats have legal actions;
// - ctx.legalActions() → Promise<action[] | null>: the acting seat's legal actions, null
//   when unknown; ctx.isOver() → bool;
// - ui.events?.(events, seat, action): the events of each action, as they happen.

/** The module that draws `name`: its own, or the generic player. */
const uiFor = (name) => UIS[name] ?? generic;

/** Real-time games need a module that runs the clock; the generic player is turn-based. */
function noRealTimeBoard(name) {
  return `${name} is a real-time game and this page has no board for it yet (the generic player handles turn-based games).`;
}

/** Offline: the legal actions of the seat the human acts for (seat 0, or the seat on screen). */
async function offlineLegalActions(g) {
  const seat = g.hotseat ? g.shown : 0;
  if (game !== g || seat == null) return [];
  return g.session.legalActions(seat);
}

/** Online: your legal actions as the host computes them (hidden-information games too);
 * null when the host cannot be asked (then the generic player takes typed JSON). */
async function onlineLegalActions(g) {
  if (game !== g || !client) return null;
  if (g.seat == null) return [];
  try {
    return await client.legalActions();
  } catch {
    return null;
  }
}

/** A random seed below 2^53, so it survives as a JS number. */
function randomSeed() {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi & 0x1fffff) * 2 ** 32 + lo;
}

/** The random device id this browser signs in with, made once and kept. */
function deviceId() {
  let id = localStorage.getItem('hearth.device');
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem('hearth.device', id);
  }
  return id;
}

function updateStatus() {
  let text = wasClosed ? 'disconnected' : 'offline';
  if (client && linkDown) text = 'reconnecting…';
  else if (client && room) text = `in room ${room.name}`;
  else if (client) text = lan ? `on ${lan.name} as ${client.welcome.name}` : `signed in as ${client.welcome.name}`;
  $('#status').textContent = text;
}

// ---------------------------------------------------------------- the game on screen

/** Replaces the game on screen, tearing down the old one (timers, Wasm memory). */
function setGame(next) {
  if (game) {
    clearTimeout(game.botTimer);
    game.ui?.destroy();
    game.session?.free();
  }
  game = next;
  // On a phone's narrow screen the board goes above the menus while a game is on.
  document.body.classList.toggle('playing', Boolean(next));
  area.replaceChildren();
  $('#turn').textContent = '';
  $('#outcome').textContent = '';
}

/** "A", "A and B", "A, B and C". */
const listed = (items) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

function showTurn(actors, me, names) {
  let text = '';
  if (actors.length) {
    text = actors.includes(me) ? 'Your turn' : `Waiting for ${listed(actors.map(names))}`;
  }
  $('#turn').textContent = text;
}

/** "You won" / "You lost" / "Draw" from `me`'s side, or "Seat N won" without a seat. */
function showOutcome(outcome, me, names, name) {
  if (!outcome) return;
  const w = outcome.winners;
  let text;
  if (!w.length) text = 'Draw';
  else if (me === null || me === undefined) text = listed(w.map((s) => `Seat ${s}`)) + ' won';
  else text = w.includes(me) ? 'You won' : 'You lost';
  if (name !== 'connect-four') {
    text += ' — ' + outcome.scores.map((sc, s) => `${names(s)}: ${sc}`).join(', ');
  }
  $('#outcome').textContent = text;
  $('#turn').textContent = '';
}

// ---------------------------------------------------------------- offline play

function startOffline(hotseat) {
  const meta = metaOf($('#game').value);
  if (!meta) throw new Error(`This page has no board for ${$('#game').value} yet.`);
  const mod = uiFor(meta.name);
  if (meta.tick_rate && mod === generic) throw new Error(noRealTimeBoard(meta.name));
  const seats = Number($('#seats').value);
  const session = new hearth.Session(meta.name, null, seats, randomSeed());
  const g = {
    kind: 'offline', name: meta.name, meta, session, hotseat,
    level: Number($('#level').value), shown: null, botTimer: 0,
    names: (s) => (hotseat ? `Seat ${s}` : s === 0 ? 'You' : `Bot ${s}`),
  };
  setGame(g);
  if (meta.tick_rate) {
    // Real time: the tanks module runs the clock itself.
    g.ui = mod.create(area, {
      mode: hotseat ? 'hotseat' : 'bot', seat: hotseat ? null : 0, session, level: g.level,
      tickRate: meta.tick_rate, names: g.names, fail,
      onOver: (outcome) => showOutcome(outcome, hotseat ? null : 0, g.names, g.name),
    });
    $('#turn').textContent = hotseat
      ? 'Seat 0: WASD + Space · Seat 1: arrows + Enter'
      : DRIVE;
    return;
  }
  g.ui = mod.create(area, {
    names: g.names, act: (action) => offlineAct(g, action),
    legalActions: () => offlineLegalActions(g),
    isOver: () => game !== g || g.session.isOver,
  });
  offlineRefresh(g);
  scheduleBots(g);
}

/** The human's move (seat 0 against bots; the seat on screen in hot-seat). */
function offlineAct(g, action) {
  if (game !== g) return false;
  const seat = g.hotseat ? g.shown : 0;
  let events;
  try {
    events = g.session.apply(seat, action);
  } catch (e) {
    fail(e);
    return false;
  }
  say('');
  g.ui.events?.(events, seat, action);
  offlineRefresh(g);
  scheduleBots(g);
  return true;
}

function offlineRefresh(g) {
  const mod = uiFor(g.name);
  const s = g.session;
  let seat = 0;
  if (g.hotseat) {
    const next = s.isOver ? null : (mod.actors(s.view(null), s)[0] ?? null);
    // Hidden information on one screen: cover it until the next player has the device.
    if (next !== null && next !== g.shown && g.meta.hidden_information) return passScreen(g, next);
    g.shown = next;
    seat = next;
  }
  const view = s.view(seat);
  g.ui.el.hidden = false;
  g.ui.show(view, seat);
  showTurn(mod.actors(view, s), seat, g.names);
  if (s.isOver) showOutcome(s.outcome, g.hotseat ? null : 0, g.names, g.name);
}

function passScreen(g, seat) {
  g.ui.el.hidden = true;
  $('#turn').textContent = `Pass the device to Seat ${seat}`;
  const button = el('button', { id: 'pass-ready', type: 'button', textContent: `I am Seat ${seat}: show my screen` });
  const cover = el('div', { className: 'cover' }, el('p', { textContent: `Seat ${seat}, your turn. Nobody else should look.` }), button);
  button.addEventListener('click', () => {
    cover.remove();
    g.shown = seat;
    offlineRefresh(g);
  });
  area.append(cover);
}

/** Against bots: one bot move per delay, until it is the human's turn or the game ends. */
function scheduleBots(g) {
  clearTimeout(g.botTimer);
  if (g.hotseat || g.session.isOver) return;
  g.botTimer = setTimeout(() => {
    if (game !== g) return;
    // Every seat but yours is a bot; the shared driver picks the one that moves next.
    const bots = [];
    for (let seat = 1; seat < g.session.seats; seat++) bots.push(seat);
    let turn;
    try {
      turn = g.session.botTurn(bots, g.level);
    } catch (e) {
      fail(e);
      return;
    }
    if (!turn) return;
    g.ui.events?.(turn.events, turn.seat, turn.action);
    offlineRefresh(g);
    scheduleBots(g);
  }, BOT_DELAY_MS);
}

// ---------------------------------------------------------------- online: connection

const wsUrl = () => (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';

async function signIn() {
  const name = $('#name').value.trim();
  if (!name) throw new Error('Type a display name first.');
  if ([...name].length > NAME_MAX) throw new Error(`A name has at most ${NAME_MAX} characters.`);
  localStorage.setItem('hearth.name', name);
  $('#status').textContent = lan ? 'joining…' : 'signing in…';
  try {
    // A LAN host has no accounts: players join with a name. The official server signs this
    // browser in with its device id first.
    const token = lan ? null : await hearth.deviceLogin(location.origin, deviceId(), name);
    const c = await hearth.Client.connect(wsUrl(), token, name);
    if (client) client.close();
    client = c;
    linkDown = wasClosed = false;
    subscribed.clear();
    // Events of a replaced client are ignored.
    c.onEvent((ev) => {
      if (client === c) onEvent(ev);
    });
  } finally {
    updateStatus();
  }
  $('#reconnect').hidden = true;
  $('#signin-form').hidden = true;
  $('#leaderboard-panel').hidden = Boolean(lan);
  renderRoom();
  subscribeBoard($('#leaderboard-game').value);
  clearInterval(roomsTimer);
  roomsTimer = setInterval(() => refreshRooms(true), ROOMS_EVERY_MS);
  const record = loadResume();
  if (record) await resumeSeat(record);
  else await refreshRooms(false);
}

async function resumeSeat(record) {
  try {
    room = await client.resume(record.token, 0);
  } catch (e) {
    if (e.code !== 'bad_resume' && e.code !== 'unknown_room') throw e;
    dropResume();
    say(`Your last game could not be resumed: ${e.message}`);
    await refreshRooms(true);
  }
  renderRoom();
}

function onEvent(ev) {
  switch (ev.type) {
    case 'room': room = ev.room; renderRoom(); break;
    case 'started': startOnline(ev.started); break;
    case 'entry':
      if (game?.kind === 'online') game.ui.events?.(ev.events, ev.seat, ev.action);
      showOnlineView(client.view());
      break;
    case 'view':
      if (game?.kind === 'online') game.ui.events?.(ev.events, null, null);
      showOnlineView(ev.view);
      break;
    case 'snapshot': if (game?.kind === 'online') game.ui.snapshot?.(ev.tick, ev.view); break;
    case 'leaderboard': standings.set(ev.game, ev.standings); renderBoard(); break;
    case 'chat': break; // no chat panel in this client
    case 'left':
      room = null;
      dropResume();
      if (game?.kind === 'online') setGame(null);
      say(LEFT_REASONS[ev.reason] || `You are no longer in the room (${ev.reason}).`);
      renderRoom();
      refreshRooms(true);
      break;
    case 'error': fail(ev); break;
    case 'desync': say(`This page’s copy of the game disagreed with the server after move ${ev.index}; showing the server’s state.`); break;
    case 'disconnected': linkDown = true; say(`${ev.reason}…`); break;
    case 'reconnected':
      linkDown = false;
      say('');
      subscribed.clear(); // a new connection: subscribe again
      subscribeBoard($('#leaderboard-game').value);
      break;
    case 'closed':
      client = null;
      room = null;
      linkDown = false;
      wasClosed = true;
      clearInterval(roomsTimer);
      say(lan
        ? `Lost the host ${lan.name}: ${ev.reason}. When it is back, press Reconnect to join again.`
        : `Disconnected from the server: ${ev.reason}. Press Reconnect to sign in again.`);
      $('#reconnect').hidden = false;
      renderRoom();
      break;
  }
  updateStatus();
}

// ---------------------------------------------------------------- online: rooms

function loadResume() {
  try {
    return JSON.parse(sessionStorage.getItem(RESUME_KEY));
  } catch {
    return null;
  }
}
const saveResume = (record) => sessionStorage.setItem(RESUME_KEY, JSON.stringify(record));
const dropResume = () => sessionStorage.removeItem(RESUME_KEY);

async function refreshRooms(quiet) {
  if (!client || room || linkDown) return;
  try {
    const rooms = await client.listRooms();
    $('#rooms').replaceChildren(...rooms.map(roomItem));
    if (!rooms.length) $('#rooms').append(el('li', { className: 'hint', textContent: 'No open rooms yet: create one.' }));
  } catch (e) {
    if (!quiet) fail(e);
  }
}

function roomItem(r) {
  const lock = r.has_password ? ' · password' : '';
  const li = el('li', { className: 'room', title: 'Click to join' },
    el('b', { textContent: r.name }),
    ` ${r.game} · ${r.players}/${r.max_seats} seated · ${r.spectators} watching · ${r.phase}${lock}`);
  li.dataset.room = r.name;
  li.addEventListener('click', () => {
    $('#room-name').value = r.name;
    run(null, () => joinRoom(r.phase === 'playing'));
  });
  return li;
}

function roomFields() {
  const name = $('#room-name').value.trim();
  if (!name) throw new Error('Type a room name first.');
  return { name, password: $('#room-password').value || null };
}

async function createRoom() {
  const { name, password } = roomFields();
  room = await connected().createRoom(name, $('#game').value, null, password, $('#room-public').checked);
  renderRoom();
}

async function joinRoom(spectate) {
  const { name, password } = roomFields();
  room = await connected().join(name, password, spectate);
  renderRoom();
}

const me = () => room?.members.find((m) => m.player === room.you);

function renderRoom() {
  $('#lobby-browser').hidden = !client || !!room;
  $('#lobby').hidden = !room;
  $('#signin-form').hidden = !!client;
  updateStatus();
  if (!room) return;
  // The leaderboard follows the game of the room we are in.
  if (room.game !== shownBoardFor) {
    shownBoardFor = room.game;
    $('#leaderboard-game').value = room.game;
    subscribeBoard(room.game);
  }
  const phase = typeof room.phase === 'string' ? room.phase : Object.keys(room.phase)[0];
  const lock = room.has_password ? ' · password' : '';
  $('#lobby-title').textContent = `${room.name} · ${room.game} · ${phase}${lock}`;
  $('#members').replaceChildren(...room.members.map((m) => {
    const tags = [m.player === room.host && 'host', m.bot && 'bot', !m.connected && 'disconnected',
      m.ready && 'ready'].filter(Boolean).join(', ');
    const li = el('li', { textContent: `${m.seat == null ? 'watching' : `Seat ${m.seat}`} · ${m.name}${tags ? ` (${tags})` : ''}` });
    li.dataset.ready = m.ready ? '1' : '0';
    if (m.player === room.you) li.className = 'you';
    return li;
  }));
  const self = me();
  const playing = phase === 'playing';
  const host = room.host === room.you;
  $('#ready').hidden = playing || !self || self.seat == null;
  $('#ready').textContent = self?.ready ? 'Not ready' : 'Ready';
  $('#ready').dataset.ready = self?.ready ? '1' : '0';
  $('#start').hidden = playing || !host;
  $('#add-bot').hidden = playing || !host;
  if (game?.kind === 'online') {
    if (game.view) showOnlineView(game.view);
    if (!game.over && (phase === 'over' || phase === 'aborted')) {
      game.over = true;
      dropResume();
      if (phase === 'over') showOutcome(room.phase.over.outcome, game.seat, game.names, game.name);
      else fail(room.phase.aborted.error);
    }
  }
}

/** The client, or a readable refusal when there is none (after `closed`). */
function connected() {
  if (!client) throw new Error('Not connected to the server; press Reconnect to sign in again.');
  return client;
}

/** Seat names from the room's members (players by id). */
function onlineName(seat) {
  const id = game?.started?.players[seat];
  const m = room?.members.find((x) => x.player === id);
  return m ? m.name : `Seat ${seat}`;
}

function startOnline(st) {
  if (st.resume) saveResume({ token: st.resume, room: room?.name ?? null });
  // A resume of the game already on screen keeps it; anything else starts afresh.
  const same = game?.kind === 'online' && st.resume && game.started.resume === st.resume;
  if (!same) {
    const mod = uiFor(st.game);
    if (st.tick_rate && mod === generic) return say(noRealTimeBoard(st.game));
    const g = { kind: 'online', name: st.game, started: st, seat: st.seat, names: onlineName, over: false, view: null };
    setGame(g);
    g.ui = mod.create(area, {
      mode: 'online', seat: st.seat, names: onlineName, fail,
      config: st.config, seats: st.seats, tickRate: st.tick_rate,
      isOver: () => g.over || game !== g,
      legalActions: () => onlineLegalActions(g),
      act: st.tick_rate
        ? async (input, tick) => connected().act(input, tick)
        : async (action) => {
          try {
            await connected().act(action, null);
            say(''); // an earlier refusal is stale now
            return true;
          } catch (e) {
            fail(e);
            return false;
          }
        },
    });
    if (st.tick_rate) {
      $('#turn').textContent = st.seat == null ? 'Watching' : DRIVE;
    }
  }
  game.started = st;
  if (!st.tick_rate) showOnlineView(client.view());
}

function showOnlineView(view) {
  const g = game;
  if (!view || g?.kind !== 'online' || !g.ui.show) return;
  g.view = view;
  g.ui.show(view, g.seat);
  if (!g.over) showTurn(uiFor(g.name).actors(view), g.seat, g.names);
}

// ---------------------------------------------------------------- leaderboard

async function subscribeBoard(name) {
  renderBoard();
  // LAN hosts keep no leaderboards.
  if (lan || !client || !name || subscribed.has(name)) return;
  subscribed.add(name);
  try {
    await client.subscribeLeaderboard(name);
  } catch (e) {
    subscribed.delete(name);
    fail(e);
  }
}

function renderBoard() {
  const rows = standings.get($('#leaderboard-game').value) || [];
  $('#leaderboard tbody').replaceChildren(...rows.map((s, i) => {
    const tr = el('tr');
    tr.dataset.name = s.name;
    for (const v of [i + 1, s.name, s.rating, s.wins, s.losses, s.draws]) tr.append(el('td', { textContent: String(v) }));
    return tr;
  }));
}

// ---------------------------------------------------------------- start-up

function fillSeats() {
  const meta = metaOf($('#game').value);
  if (!meta) return;
  const options = [];
  for (let n = meta.min_seats; n <= meta.max_seats; n++) options.push(el('option', { value: String(n), textContent: String(n) }));
  $('#seats').replaceChildren(...options);
  $('#seats').value = String(Math.min(meta.max_seats, Math.max(meta.min_seats, 4)));
  $('#game-description').textContent = meta.description;
}

/** What the LAN host that served this page says of itself, or null (the official server
 * answers `GET /v1/lan` with 204 No Content; a page opened from files cannot ask). */
async function lanHost() {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
  try {
    const r = await fetch('/v1/lan', { cache: 'no-store' });
    if (r.status !== 200) return null;
    const info = await r.json();
    return info && typeof info.name === 'string' ? info : null;
  } catch {
    return null;
  }
}

async function main() {
  window.addEventListener('unhandledrejection', (ev) => fail(ev.reason));
  try {
    await init();
    metas = hearth.games();
  } catch (e) {
    $('#status').textContent = 'not loaded';
    say(`The game module could not be loaded: ${e && e.message ? e.message : e}`);
    return;
  }
  const options = () => metas.map((m) => el('option', { value: m.name, textContent: m.name }));
  $('#game').replaceChildren(...options());
  $('#leaderboard-game').replaceChildren(...options());
  if (metaOf('connect-four')) $('#game').value = $('#leaderboard-game').value = 'connect-four';
  $('#game').addEventListener('change', () => {
    fillSeats();
    $('#leaderboard-game').value = $('#game').value;
    subscribeBoard($('#game').value);
  });
  $('#leaderboard-game').addEventListener('change', () => subscribeBoard($('#leaderboard-game').value));
  fillSeats();
  $('#name').value = localStorage.getItem('hearth.name') || '';
  $('#lobby-browser').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('#join-room').click();
  });
  $('#name').addEventListener('keydown', (ev) => ev.key === 'Enter' && $('#sign-in').click());

  on('#play-bot', () => startOffline(false));
  on('#play-hotseat', () => startOffline(true));
  on('#sign-in', signIn);
  on('#reconnect', signIn);
  on('#create-room', createRoom);
  on('#join-room', () => joinRoom(false));
  on('#watch-room', () => joinRoom(true));
  on('#refresh-rooms', () => refreshRooms(false));
  on('#ready', () => connected().ready(!me()?.ready));
  on('#start', () => connected().start());
  on('#add-bot', () => connected().addBot(Number($('#level').value) || 1));
  on('#leave', async () => {
    await connected().leave();
    room = null;
    dropResume();
    renderRoom();
    await refreshRooms(true);
  });

  lan = await lanHost();
  if (lan) {
    // Served by a LAN host: join it with a name; show where others open this page.
    document.body.classList.add('lan');
    $('#online h2').textContent = `On ${lan.name}`;
    $('#game-area .hint')?.replaceChildren('Join with your name to play with the others here, or pick a game and play offline.');
    $('#sign-in').textContent = 'Join';
    $('#lan-invite').hidden = !lan.urls?.length;
    $('#lan-urls').replaceChildren(...(lan.urls || []).map((u) => el('li', {}, el('a', { href: u, textContent: u }))));
  }
  updateStatus();
  document.body.dataset.ready = '1';
  // A reload in the middle of an online game: sign in again and take the seat back.
  if (loadResume() && $('#name').value) run($('#sign-in'), signIn);
}

main();

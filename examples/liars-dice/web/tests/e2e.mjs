// Liar's Dice in the browser, end to end: Debian's Chromium driven by playwright-core against
// a running server of this example:
//   liars-dice serve --memory --bind 127.0.0.1:PORT --web examples/liars-dice/web/www
//   node examples/liars-dice/web/tests/e2e.mjs http://127.0.0.1:PORT SCREENSHOT_DIR
// (a run takes some 15–20 s and signs in twice: raise --sign-ins-per-minute to run it often
// against one server; names and rooms carry a tag of the run, so runs do not collide).
// The page has no board for liars-dice, so every game is played with the generic player
// (web/generic.js): its legal-action buttons, and once its JSON box.
// 1. Offline against a bot: the game list offers liars-dice; typed JSON that is not JSON, and
//    JSON actions the rules refuse, are answered readably and change nothing; then the game is
//    played to its outcome by clicking legal-action buttons only.
// 2. Online against a bot: a page signs in (device login), creates a liars-dice room, adds a
//    bot, readies, starts and plays the match to its outcome with the buttons (online they
//    come from the host: Client.legalActions()). The rendered view holds the page's own dice
//    (`your_dice`) and no other seat's dice of the current round. A refused typed action
//    shows a message here too.
// 3. Online between two people: a second page joins a room of the first; they play each other
//    to the end and both appear on the liars-dice leaderboard, with one game each (the game
//    against the bot is not rated: the server rates only games among accounts).
// With E2E_LAN=1 the page comes from the example's LAN host (`liars-dice lan --web web/www`,
// run by server/tests/products.rs in a network namespace of its own, at a private address):
// the pages join with a name instead of signing in, and there is no leaderboard to check.
// Screenshots of each stage go to SCREENSHOT_DIR. Prints `[e2e] ok` and exits 0 when all
// passed; otherwise says which stage failed and exits 1. E2E_SEED=N replays the same clicks.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

// playwright-core from the repository's node_modules (this file is four levels below it).
const require = createRequire(import.meta.url);
const { chromium } = require('../../../../node_modules/playwright-core');

const [base, shots] = process.argv.slice(2);
const LAN = process.env.E2E_LAN === '1';
// Loopback, or (on a LAN host) the private address of the test's own host namespace.
if (!/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost|10\.\d+\.\d+\.\d+):\d+$/.test(base || '') || !shots) {
  console.error('usage: node examples/liars-dice/web/tests/e2e.mjs http://127.0.0.1:PORT SCREENSHOT_DIR (loopback only)');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const TIMEOUT = 20_000;          // any single DOM condition
const MAX_MOVES = 300;           // clicks of one game at most (a game takes some 10–60)
const GAME_MS = 150_000;         // one game at most
const ALL_MS = 420_000;          // the whole run at most
const log = (...a) => console.log('[e2e]', ...a);

let stage = 'start';
/** Names what happens next, so a failure says where it stopped. */
const step = (name) => { stage = name; log('stage:', name); };

// Everything stops by itself: a run that hangs anywhere (even in the browser) ends here.
const watchdog = setTimeout(() => {
  console.error(`[e2e] FAILED: the whole run took over ${ALL_MS / 1000} s, at stage "${stage}"`);
  process.exit(1);
}, ALL_MS);

// Reproducible clicks: a small seeded generator (mulberry32).
const seed = Number(process.env.E2E_SEED) || (Date.now() % 1_000_000_007);
let rngState = seed >>> 0;
function random() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
log('seed', seed, '(E2E_SEED to repeat)');
// Names of this run, so runs against one server do not meet old rooms or old standings.
const tag = seed.toString(36).slice(-4);
const ADA = `Ada-${tag}`;
const BOB = `Bob-${tag}`;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  timeout: 60_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const pages = [];

/** A fresh browser profile (its own localStorage, so its own device id) with one page. */
async function newPage(label) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`${label} console:`, m.text()); });
  // Only the server under test: anything else would be a page bug (and is not dialled).
  await context.route((url) => url.origin !== base, (route) => {
    problems.push(`${label}: a request left the server under test: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready="1"]');
  const p = { context, page, label };
  pages.push(p);
  return p;
}

async function shot(p, name) {
  await p.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const text = async (p, sel) => ((await p.page.textContent(sel)) || '').trim();

async function signIn(p, name) {
  await p.page.fill('#name', name);
  if (LAN && (await text(p, '#sign-in')) !== 'Join') throw new Error('a LAN host\'s page does not offer to join');
  await p.page.click('#sign-in');
  await p.page.waitForFunction((n) => document.querySelector('#status').textContent.includes(n), name);
  if (LAN) await p.page.waitForSelector('#leaderboard-panel', { state: 'hidden' });
  else await p.page.waitForSelector('#leaderboard-panel:not([hidden])');
}

/** The view the generic player shows, parsed from its JSON text. */
async function viewOf(p) {
  return JSON.parse(await p.page.textContent('#generic-pre'));
}

/** What a page shows now: its outcome, and whether it offers enabled legal-action buttons. */
const pageState = (p) => p.page.evaluate(() => ({
  outcome: document.querySelector('#outcome').textContent.trim(),
  buttons: document.querySelectorAll('#generic-actions button[data-action]:not([disabled])').length,
}));

/**
 * The rendered view shows the page's own dice and nothing of the other seats' current dice:
 * the tree has a `your_dice` entry, holding exactly as many dice as the view says this seat
 * has; the only other hands are those a past challenge revealed.
 */
async function checkHidden(p) {
  const keys = await p.page.$$eval('#generic-view .key', (ks) => ks.map((k) => k.textContent));
  if (!keys.includes('your_dice')) throw new Error(`${p.label}: the view tree shows no your_dice (keys: ${keys.join(', ')})`);
  const v = await viewOf(p);
  const expected = ['you', 'round', 'ones_wild', 'dice_counts', 'total_dice', 'to_move', 'bid', 'last_challenge', 'your_dice', 'winner'];
  const extra = Object.keys(v).filter((k) => !expected.includes(k));
  if (extra.length) throw new Error(`${p.label}: the view has fields it should not: ${extra.join(', ')}`);
  if (v.you == null || !Array.isArray(v.your_dice)) throw new Error(`${p.label}: a seated view without its own dice: ${JSON.stringify(v)}`);
  if (v.winner == null) {
    if (v.your_dice.length !== v.dice_counts[v.you]) {
      throw new Error(`${p.label}: your_dice ${JSON.stringify(v.your_dice)} but dice_counts says ${v.dice_counts[v.you]}`);
    }
    if (v.last_challenge && v.last_challenge.round >= v.round) {
      throw new Error(`${p.label}: hands of the current round are shown: ${JSON.stringify(v.last_challenge)}`);
    }
  }
  return v;
}

/**
 * Plays one game to its outcome by clicking legal-action buttons only: a random one, with a
 * challenge (always first in the list when it is legal) taken more often so games stay short.
 * One page waits on its DOM for its turn or the outcome; with several pages, whichever may
 * act is found by looking at each in turn (a wait cannot span pages). After each click the
 * page must redraw its buttons (the move was taken) and show no refusal.
 */
async function playToEnd(players, { onMove } = {}) {
  const deadline = Date.now() + GAME_MS;
  let moves = 0;
  let challenges = 0;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`the game did not end within ${GAME_MS / 1000} s (${moves} moves)`);
    // Whose turn, or the end.
    let mover = null;
    if (players.length === 1) {
      await players[0].page.waitForFunction(() =>
        document.querySelector('#outcome').textContent.trim() !== ''
        || document.querySelector('#generic-actions button[data-action]:not([disabled])'), null, { timeout: TIMEOUT });
    }
    const states = await Promise.all(players.map(pageState));
    if (states.every((s) => s.outcome)) break;
    const i = states.findIndex((s) => !s.outcome && s.buttons > 0);
    if (i < 0) {
      await new Promise((r) => setTimeout(r, 50)); // the host or a bot is moving
      continue;
    }
    mover = players[i];
    if (++moves > MAX_MOVES) throw new Error(`no outcome after ${MAX_MOVES} moves`);
    if (onMove) await onMove(mover, moves);
    const buttons = await mover.page.$$('#generic-actions button[data-action]:not([disabled])');
    if (!buttons.length) { moves--; continue; } // redrawn meanwhile: look again
    const actions = await Promise.all(buttons.map((b) => b.getAttribute('data-action')));
    let pick = Math.floor(random() * buttons.length);
    if (actions[0] === '"challenge"' && random() < 0.4) pick = 0;
    if (actions[pick] === '"challenge"') challenges++;
    await buttons[pick].click();
    // Taken: the buttons are redrawn for the next view (or the game ended). A refusal of a
    // legal action would show in #message instead.
    await mover.page.waitForFunction((b) =>
      !b.isConnected
      || document.querySelector('#outcome').textContent.trim() !== ''
      || document.querySelector('#message').textContent.trim() !== '', buttons[pick], { timeout: TIMEOUT });
    const message = await text(mover, '#message');
    if (message) throw new Error(`${mover.label}: the legal action ${actions[pick]} was refused: "${message}"`);
  }
  return { moves, challenges };
}

try {
  // ---- 1. offline against a bot ----------------------------------------------------------
  step('offline: the page loads and offers liars-dice');
  const solo = await newPage('solo');
  const games = await solo.page.$$eval('#game option', (os) => os.map((o) => o.value));
  if (!games.includes('liars-dice')) throw new Error(`the game list does not offer liars-dice: ${games.join(', ')}`);
  await solo.page.selectOption('#game', 'liars-dice');
  await solo.page.selectOption('#seats', '2');
  await shot(solo, '1-loaded');

  step('offline: start against the bot');
  await solo.page.click('#play-bot');
  await solo.page.waitForSelector('#generic-view .key');
  // Seat 0 (the page's) opens the first round: its buttons show.
  await solo.page.waitForSelector('#generic-actions button[data-action]:not([disabled])');
  await checkHidden(solo);
  const opening = await viewOf(solo);
  await shot(solo, '2-offline-start');

  step('offline: typed actions that are refused');
  // Not JSON at all: the generic player says so itself.
  await solo.page.fill('#generic-json', 'challenge');
  await solo.page.click('#generic-send');
  await solo.page.waitForFunction(() => /not JSON/i.test(document.querySelector('#generic-error').textContent));
  log('not JSON says:', await text(solo, '#generic-error'));
  // JSON the rules refuse: the page's message line gives the rules' reason.
  const refusals = [
    ['"challenge"', /no bid to challenge/i],
    ['{"bid":{"count":2,"face":9}}', /not a die face/i],
    ['{"bid":{"count":99,"face":3}}', /impossible/i],
  ];
  for (const [json, reason] of refusals) {
    await solo.page.fill('#generic-json', json);
    await solo.page.click('#generic-send');
    await solo.page.waitForFunction((src) => new RegExp(src, 'i').test(document.querySelector('#message').textContent), reason.source);
    log(`${json} says:`, await text(solo, '#message'));
  }
  if (await text(solo, '#generic-error')) throw new Error('a JSON action still shows "not JSON"');
  // Nothing changed: same view, nothing in the log, the buttons still there.
  const after = await viewOf(solo);
  if (JSON.stringify(after) !== JSON.stringify(opening)) throw new Error(`a refused action changed the view: ${JSON.stringify(after)}`);
  if (await solo.page.isVisible('#generic-log')) throw new Error('a refused action was logged');
  await shot(solo, '3-offline-refused');

  step('offline: play to the end with the buttons');
  // The first accepted move clears the refusal from the message line.
  const first = await solo.page.$('#generic-actions button[data-action]:not([disabled])');
  await first.click();
  await solo.page.waitForFunction(() => document.querySelector('#message').textContent.trim() === '');
  const offline = await playToEnd([solo], { onMove: (p) => checkHidden(p) });
  const offlineSays = await text(solo, '#outcome');
  if (!/^(You won|You lost) — You: \d, Bot 1: \d$/.test(offlineSays)) throw new Error(`offline outcome: "${offlineSays}"`);
  if (!/game is over/i.test(await text(solo, '#generic-status'))) throw new Error('the generic player does not say the game is over');
  if (await solo.page.$('#generic-actions button')) throw new Error('action buttons remain after the end');
  const offlineEnd = await viewOf(solo);
  if (offlineEnd.winner == null) throw new Error(`an outcome but no winner in the view: ${JSON.stringify(offlineEnd)}`);
  await shot(solo, '4-offline-over');
  log(`offline vs bot: "${offlineSays}" after ${offline.moves + 1} clicks (${offline.challenges} challenges)`);

  // ---- 2. online against a bot -------------------------------------------------------------
  step('online: sign in');
  const ada = await newPage('ada');
  await signIn(ada, ADA);

  step('online: create a room, add a bot, ready, start');
  await ada.page.selectOption('#game', 'liars-dice');
  await ada.page.fill('#room-name', `Cups-${tag}`);
  await ada.page.click('#create-room');
  await ada.page.waitForSelector('#lobby:not([hidden])');
  if (!/liars-dice/.test(await text(ada, '#lobby-title'))) throw new Error(`the room is not a liars-dice room: ${await text(ada, '#lobby-title')}`);
  await ada.page.click('#add-bot');
  await ada.page.waitForFunction(() => /bot/i.test(document.querySelector('#members').textContent));
  await ada.page.click('#ready');
  await ada.page.waitForSelector('#members li.you[data-ready="1"]');
  await shot(ada, '5-online-lobby');
  await ada.page.click('#start');
  await ada.page.waitForSelector('#generic-view .key');
  if (!LAN && (await ada.page.inputValue('#leaderboard-game')) !== 'liars-dice') throw new Error('the leaderboard does not follow the room\'s game');

  step('online: a refused typed action');
  // Whoever opens, the first turn of Ada's comes with buttons; a count of 0 is refused by the
  // host, readably, and nothing changes.
  await ada.page.waitForFunction(() =>
    document.querySelector('#generic-actions button[data-action]:not([disabled])')
    || document.querySelector('#outcome').textContent.trim() !== '');
  await checkHidden(ada);
  const beforeRefusal = await viewOf(ada);
  await ada.page.fill('#generic-json', '{"bid":{"count":0,"face":6}}');
  await ada.page.click('#generic-send');
  await ada.page.waitForFunction(() => /impossible/i.test(document.querySelector('#message').textContent));
  log('online, a count of 0 says:', await text(ada, '#message'));
  if (JSON.stringify(await viewOf(ada)) !== JSON.stringify(beforeRefusal)) throw new Error('a refused online action changed the view');
  await shot(ada, '6-online-refused');
  const firstOnline = await ada.page.$('#generic-actions button[data-action]:not([disabled])');
  await firstOnline.click();
  await ada.page.waitForFunction(() => document.querySelector('#message').textContent.trim() === '');

  step('online: play against the bot to the end');
  let midShot = false;
  const online = await playToEnd([ada], {
    onMove: async (p, n) => {
      await checkHidden(p);
      if (n === 4 && !midShot) { midShot = true; await shot(p, '7-online-playing'); }
    },
  });
  const onlineSays = await text(ada, '#outcome');
  if (!new RegExp(`^(You won|You lost) — (.+: \\d, )*${escape(ADA)}: \\d(, .+: \\d)*$`).test(onlineSays)) throw new Error(`online outcome: "${onlineSays}"`);
  await ada.page.waitForFunction(() => /over/.test(document.querySelector('#lobby-title').textContent));
  await shot(ada, '8-online-over');
  log(`online vs bot: "${onlineSays}" after ${online.moves + 1} clicks (${online.challenges} challenges)`);

  // ---- 3. online between two people, and the leaderboard ----------------------------------
  step('duel: Ada leaves, Bob signs in, both meet in a room');
  await ada.page.click('#leave');
  await ada.page.waitForSelector('#lobby-browser:not([hidden])');
  const bob = await newPage('bob');
  await signIn(bob, BOB);
  await ada.page.selectOption('#game', 'liars-dice');
  await ada.page.fill('#room-name', `Duel-${tag}`);
  await ada.page.click('#create-room');
  await ada.page.waitForSelector('#lobby:not([hidden])');
  await bob.page.fill('#room-name', `Duel-${tag}`);
  await bob.page.click('#join-room');
  await bob.page.waitForSelector('#lobby:not([hidden])');
  await ada.page.waitForFunction((n) => document.querySelector('#members').textContent.includes(n), BOB);
  await ada.page.click('#ready');
  await bob.page.click('#ready');
  await ada.page.waitForFunction(() => document.querySelectorAll('#members li[data-ready="1"]').length >= 2);
  await ada.page.click('#start');
  await ada.page.waitForSelector('#generic-view .key');
  await bob.page.waitForSelector('#generic-view .key');

  step('duel: play to the end');
  const seen = new Set();
  const duel = await playToEnd([ada, bob], {
    onMove: async (p, n) => {
      const v = await checkHidden(p);
      seen.add(v.you);
      if (n === 3) { await shot(ada, '9-duel-ada'); await shot(bob, '9-duel-bob'); }
    },
  });
  if (seen.size !== 2) throw new Error(`only seat(s) ${[...seen]} moved in the duel`);
  const adaSays = await text(ada, '#outcome');
  const bobSays = await text(bob, '#outcome');
  const won = (s) => s.startsWith('You won');
  if (won(adaSays) === won(bobSays) || !/^You (won|lost) — /.test(adaSays) || !/^You (won|lost) — /.test(bobSays)) {
    throw new Error(`duel outcomes: Ada "${adaSays}", Bob "${bobSays}"`);
  }
  log(`duel: Ada "${adaSays}", Bob "${bobSays}" after ${duel.moves} clicks (${duel.challenges} challenges)`);

  step('duel: the leaderboard');
  // A LAN host keeps no leaderboard.
  if (!LAN) {
    for (const p of [ada, bob]) {
      await p.page.waitForSelector(`#leaderboard tbody tr[data-name="${ADA}"]`);
      await p.page.waitForSelector(`#leaderboard tbody tr[data-name="${BOB}"]`);
    }
    const rows = await ada.page.$$eval('#leaderboard tbody tr[data-name]', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    log('liars-dice leaderboard:', rows.map((r) => r.join(' ')).join(' | '));
    const row = (name) => rows.find((r) => r[1] === name);
    for (const name of [ADA, BOB]) {
      const [, , , w, l, d] = row(name);
      // One rated game each: the duel. The game against the bot is not rated.
      if (Number(w) + Number(l) + Number(d) !== 1) throw new Error(`${name} has ${w}/${l}/${d} games on the leaderboard, not one`);
    }
    const winner = won(adaSays) ? ADA : BOB;
    if (Number(row(winner)[3]) !== 1) throw new Error(`the winner ${winner} has no win on the leaderboard`);
    if (rows.findIndex((r) => r[1] === winner) > rows.findIndex((r) => r[1] !== winner && [ADA, BOB].includes(r[1]))) {
      throw new Error('the winner is not above the loser');
    }
  }
  await shot(ada, '10-duel-over-ada');
  await shot(bob, '10-duel-over-bob');
} catch (e) {
  problems.push(`at "${stage}": ${e.stack || e}`);
  for (const p of pages) {
    const message = await p.page.textContent('#message', { timeout: 2000 }).catch(() => '?');
    const status = await p.page.textContent('#status', { timeout: 2000 }).catch(() => '?');
    problems.push(`${p.label}: #message "${message}", #status "${status}"`);
    await shot(p, `failed-${p.label}`).catch(() => {});
  }
} finally {
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 15_000))]);
}
clearTimeout(watchdog);
if (problems.length) {
  console.error(`[e2e] FAILED at stage "${stage}":\n` + problems.join('\n'));
  process.exit(1);
}
log('screenshots in', shots);
log('ok');
process.exit(0);

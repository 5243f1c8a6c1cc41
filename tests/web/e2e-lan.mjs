// Phones joining a LAN host's page, in Debian's Chromium (playwright-core) with a phone's
// screen emulated. Run by cli/tests/it/lan_page.rs inside the "player" network namespace it
// made, with the URL `hearth lan` printed in the "host" namespace:
//   node tests/web/e2e-lan.mjs http://10.x.y.1:PORT/ SCREENSHOT_DIR
// 1. The page knows it was served by a LAN host: "Join" with a name (no account, no
//    leaderboard), the host's page URL shown for others; an empty or overlong name is refused
//    on the page; a page of another origin is refused with a message naming the host's page.
// 2. Two phones join one room by name and play connect-four to a win, tapping.
// 3. One phone's socket is cut mid-game (as when its screen goes off): it says it is
//    reconnecting, resumes its seat and plays on. Then the host's other games: chameleon
//    (both phones and a bot, each phone only its own secret) to the end by tapping, and
//    tanks against a bot driven with the touch pad.
// 4. The host goes away from that phone for good: the page says so readably and still plays
//    offline.
// The bytes a phone's first visit transfers (as served: the module gzipped) are printed.
// Screenshots at the phone's size go to SCREENSHOT_DIR.
import { devices } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, failureShots, myTurn, drop as dropAt, createRoom, joinRoom, addBot, leaveRoom } from './common.mjs';

const [base, shots] = process.argv.slice(2);
// Private addresses only: the test's own hosts in its own namespaces.
if (!/^http:\/\/(10\.\d+\.\d+\.\d+|127\.0\.0\.1):\d+\/$/.test(base || '') || !shots) {
  console.error('usage: node tests/web/e2e-lan.mjs http://10.X.Y.Z:PORT/ SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const TIMEOUT = 20_000;
const log = (...a) => console.log('[e2e-lan]', ...a);
const phone = devices['Pixel 7'];
const touch = { tap: true };

const browser = await launch();
const problems = [];
let stage = 'start';
const step = (name) => { stage = name; };

/** A phone (its own browser profile) with the LAN host's page open. */
async function newPhone(label, setup) {
  const context = await browser.newContext({ ...phone });
  if (setup) await setup(context);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`${label} console:`, m.text()); });
  const loads = [];
  page.on('requestfinished', (r) => loads.push(r));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="1"]');
  // What the first visit cost on the wire: headers and bodies as sent.
  const sizes = await Promise.all(loads.map(async (r) => {
    const s = await r.sizes();
    const headers = await (await r.response())?.allHeaders();
    return { url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize, gzip: headers?.['content-encoding'] === 'gzip' };
  }));
  const total = sizes.reduce((n, s) => n + s.bytes, 0);
  const wasm = sizes.find((s) => s.url.endsWith('.wasm'));
  if (!wasm?.gzip) throw new Error('the module was not sent gzipped');
  log(`${label}'s first visit: ${sizes.length} requests, ${total} bytes (module ${wasm.bytes} gzipped)`);
  return { context, page, label };
}

const shot = (p, name) => p.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = (p, sel) => p.page.textContent(sel).then((t) => (t || '').trim());

async function enter(p, name) {
  await p.page.fill('#name', name);
  await p.page.tap('#sign-in');
  await p.page.waitForFunction((n) => document.querySelector('#status').textContent.includes(`as ${n}`), name);
}

/** Taps column `c` and waits for the disc of `seat` at row `r` (0: bottom). */
const drop = (p, c, r, seat) => dropAt(p, c, r, seat, { tap: true });

let failed = false;
try {
  // ---- 1. a page served by a LAN host ------------------------------------------------
  step('the page on a LAN host');
  const links = [];   // the page side of every socket of Bob's phone
  let hostGone = false; // while true, Bob's phone cannot reach the host at all
  const ada = await newPhone('ada');
  const bob = await newPhone('bob', (context) => context.routeWebSocket(/\/ws$/, (ws) => {
    if (hostGone) return ws.close({ code: 1011, reason: 'host gone' });
    ws.connectToServer();
    links.push(ws);
  }));
  if (await text(ada, '#sign-in') !== 'Join') throw new Error('a LAN host\'s page offers to sign in, not to join');
  if (!(await text(ada, '#online h2')).startsWith('On ')) throw new Error('the page does not name the host');
  if (!(await ada.page.isHidden('#leaderboard-panel'))) throw new Error('a LAN page shows a leaderboard');
  const urls = await ada.page.$$eval('#lan-urls a', (as) => as.map((a) => a.href));
  if (!urls.includes(base)) throw new Error(`the page shows ${urls.join(', ')}, not ${base}`);
  const width = await ada.page.evaluate(() => document.documentElement.scrollWidth);
  if (width > phone.viewport.width) throw new Error(`the page is ${width}px wide on a ${phone.viewport.width}px phone`);
  step('bad names');
  await ada.page.fill('#name', '');
  await ada.page.tap('#sign-in');
  await ada.page.waitForFunction(() => /name/i.test(document.querySelector('#message').textContent));
  log('an empty name says:', await text(ada, '#message'));
  // The field's maxlength stops typing; a value set past it (autofill, a script) is checked.
  await ada.page.$eval('#name', (el) => { el.value = 'x'.repeat(25); });
  await ada.page.tap('#sign-in');
  await ada.page.waitForFunction(() => /at most/i.test(document.querySelector('#message').textContent));
  log('an overlong name says:', await text(ada, '#message'));
  await shot(ada, 'lan-1-bad-name');
  step('a page of another origin');
  // A page that is not the host's (here about:blank, origin "null") is told which to open.
  const stranger = await ada.context.newPage();
  const refused = await stranger.evaluate((url) => new Promise((done) => {
    const ws = new WebSocket(url);
    let first = null;
    ws.onmessage = (m) => { first ??= m.data; };
    ws.onclose = (c) => done({ first, code: c.code });
    setTimeout(() => done({ first, code: 'timeout' }), 10_000);
  }), base.replace(/^http/, 'ws') + 'ws');
  const closing = JSON.parse(refused.first || '{}').closing;
  if (closing?.code !== 'wrong_origin' || !closing.message.includes(base)) {
    throw new Error(`a page of another origin got ${JSON.stringify(refused)}`);
  }
  log('a page of another origin is told:', closing.message);
  await stranger.close();

  // ---- 2. two phones, one room by name, a game to the end ----------------------------
  step('join and meet');
  await enter(ada, "Ada");
  await enter(bob, "Bob");
  await createRoom(ada, 'connect-four', 'Kitchen', touch);
  await joinRoom(bob, 'kitchen', touch);
  await ada.page.waitForFunction(() => /Bob/.test(document.querySelector('#members').textContent));
  await shot(bob, 'lan-2-lobby');
  await ada.page.tap('#ready');
  await bob.page.tap('#ready');
  await ada.page.waitForFunction(() => (document.querySelector('#members').textContent.match(/ready/gi) || []).length >= 2);
  await ada.page.tap('#start');
  await ada.page.waitForSelector('#board');
  await bob.page.waitForSelector('#board');
  step('play');
  // Ada sits in seat 0, Bob in seat 1; the rules pick who moves first.
  const seat = new Map([[ada, 0], [bob, 1]]);
  const firstUp = await Promise.race([ada, bob].map((p) => myTurn(p).then(() => p)));
  const [first, second] = firstUp === ada ? [ada, bob] : [bob, ada];
  log(`${first.label} moves first`);
  // The first mover builds column 0; the other answers in column 1.
  await drop(first, 0, 0, seat.get(first));
  await drop(second, 1, 0, seat.get(second));
  await drop(first, 0, 1, seat.get(first));
  await shot(bob, 'lan-3-playing');

  // ---- 3. Bob's socket is cut: he resumes and plays on --------------------------------
  step('a cut socket');
  await links.at(-1).close({ code: 1001, reason: 'screen off' });
  // A new socket first (the page noticed and reconnected), then the seat back.
  for (const until = Date.now() + TIMEOUT; links.length < 2;) {
    if (Date.now() > until) throw new Error('Bob\'s page did not open a new socket');
    await bob.page.waitForTimeout(50);
  }
  await bob.page.waitForFunction(() => !/reconnecting/i.test(document.querySelector('#status').textContent)
    && /in room/i.test(document.querySelector('#status').textContent));
  log(`Bob's page reconnected (${links.length} sockets) and is`, await text(bob, '#status'));
  await drop(second, 1, 1, seat.get(second));
  await drop(first, 0, 2, seat.get(first));
  await drop(second, 1, 2, seat.get(second));
  await drop(first, 0, 3, seat.get(first));
  step('the end');
  for (const p of [ada, bob]) {
    await p.page.waitForFunction(() => document.querySelector('#outcome').textContent.trim() !== '');
  }
  const said = [await text(first, '#outcome'), await text(second, '#outcome')];
  if (!said[0].startsWith('You won') || !said[1].startsWith('You lost')) throw new Error(`the outcomes read ${said.join(' / ')}`);
  log('the game ended:', said.join(' / '));
  await shot(first, 'lan-4-won');
  await shot(second, 'lan-4-lost');

  // ---- 3b. the host's other games on the same phones --------------------------------------
  step('chameleon');
  // Both phones and a bot at one chameleon table: each phone shows only its own secret, and
  // the phones give clues, vote and guess by tapping until the game ends.
  for (const p of [ada, bob]) await leaveRoom(p, touch);
  await createRoom(ada, 'chameleon', 'Porch', touch);
  await joinRoom(bob, 'porch', touch);
  await ada.page.waitForFunction(() => /Bob/.test(document.querySelector('#members').textContent));
  await addBot(ada, touch);
  await ada.page.tap('#ready');
  await bob.page.tap('#ready');
  await ada.page.waitForFunction(() => (document.querySelector('#members').textContent.match(/ready/gi) || []).length >= 2);
  await ada.page.tap('#start');
  const secrets = [];
  for (const p of [ada, bob]) {
    await p.page.waitForSelector('.chameleon .secret');
    await p.page.waitForFunction(() => document.querySelector('.chameleon .secret').textContent.trim() !== '');
    secrets.push(await text(p, '.chameleon .secret'));
  }
  if (!secrets.every((t) => /secret word is|You are the chameleon/.test(t))) throw new Error(`the phones' secrets read ${secrets.join(' / ')}`);
  log('chameleon secrets:', secrets.join(' / '));
  await shot(ada, 'lan-6-chameleon');
  let moves = 0;
  for (const until = Date.now() + 90_000; ;) {
    if (Date.now() > until) throw new Error(`chameleon did not end on the phones (${moves} moves made)`);
    const over = await Promise.all([ada, bob].map((p) => p.page.evaluate(() => document.querySelector('#outcome').textContent.trim() !== '')));
    if (over.every(Boolean)) break;
    for (const p of [ada, bob]) {
      if (await p.page.isVisible('#clue')) {
        await p.page.fill('#clue', `hint ${++moves}`);
        await p.page.tap('#send-clue');
      } else if (await p.page.isVisible('button[data-vote]')) {
        moves++;
        await p.page.tap('button[data-vote]');
      } else if (await p.page.isVisible('button[data-guess]')) {
        moves++;
        await p.page.tap('button[data-guess]');
      }
    }
    await ada.page.waitForTimeout(150);
  }
  log(`chameleon ended after ${moves} taps on the phones:`, await text(ada, '#outcome'), '/', await text(bob, '#outcome'));
  await shot(bob, 'lan-7-chameleon-over');

  step('tanks');
  // Tanks against a bot on Ada's phone, driven with the touch pad: the arena moves.
  await leaveRoom(ada, touch);
  await bob.page.tap('#leave').catch(() => {});
  await createRoom(ada, 'tanks', 'Yard', touch);
  await addBot(ada, touch);
  await ada.page.tap('#ready');
  await ada.page.tap('#start');
  await ada.page.waitForSelector('canvas#arena');
  if (!(await ada.page.isVisible('.pad button[data-pad="up"]'))) throw new Error('no touch pad for tanks on a phone');
  const arena = () => ada.page.$eval('canvas#arena', (c) => c.toDataURL());
  await ada.page.waitForTimeout(500);
  const parked = await arena();
  const up = ada.page.locator('.pad button[data-pad="up"]');
  await up.dispatchEvent('pointerdown', { pointerId: 1, pointerType: 'touch', isPrimary: true });
  await ada.page.waitForTimeout(700);
  await up.dispatchEvent('pointerup', { pointerId: 1, pointerType: 'touch', isPrimary: true });
  if ((await arena()) === parked) throw new Error('the tanks arena does not move on the phone');
  const box = await up.boundingBox();
  if (!box || box.height < 40) throw new Error(`the touch pad's buttons are ${JSON.stringify(box)}: too small to press`);
  log('tanks on a phone: the touch pad drives and the arena redraws');
  await ada.page.locator('.tanks').screenshot({ path: join(shots, 'lan-8-tanks.png') });
  await ada.page.tap('#leave').catch(() => {});

  // ---- 4. the host goes away (from Bob's phone): a readable message, offline play still there
  step('the host goes away');
  hostGone = true;
  await links.at(-1).close({ code: 1001, reason: 'host gone' });
  await bob.page.waitForSelector('#reconnect:not([hidden])', { timeout: 60_000 });
  const gone = await text(bob, '#message');
  if (!/Lost the host/.test(gone)) throw new Error(`a host gone away says: ${gone}`);
  if (await bob.page.isDisabled('#play-bot')) throw new Error('offline play is disabled after the host went away');
  log('a host gone away says:', gone);
  await shot(bob, 'lan-5-host-gone');
  if (problems.length) throw new Error(problems.join('\n'));
  log('two phones played connect-four and chameleon to the end and tanks on the LAN host; a cut socket resumed');
} catch (e) {
  failed = true;
  console.error(`[e2e-lan] failed at "${stage}": ${e.stack || e}`);
  await failureShots(browser, shots, 'lan');
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

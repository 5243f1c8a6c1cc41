// The browser client end to end, in Debian's Chromium driven by playwright-core, against a
// real Hearth server (started by tests/tests/it/web.rs, which passes its URL):
//   node tests/web/e2e.mjs http://127.0.0.1:PORT SCREENSHOT_DIR
// 1. Two pages sign in (device login), meet in a room and play connect-four online to a win;
//    one of them reloads mid-game and gets its seat back; a refused move shows a message.
// 2. A third page's leaderboard updates live when that game ends; that page then plays tanks
//    online against a bot (snapshots, the forecast of its own tank, 60 fps drawing).
// 3. A dropped connection is shown and recovered from; a host that stays away ends in a
//    "Reconnect" offer; a host with other rules or another protocol version refuses the
//    handshake, readably.
// 4. A page plays connect-four offline against the bot to the end, then chameleon and tanks,
//    with every request to the server blocked.
// Screenshots of each stage go to SCREENSHOT_DIR for a person to look at.
import { launch, createRoom, addBot } from './common.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, shots, newer] = process.argv.slice(2);
const loopback = (url) => /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d+$/.test(url || '');
if (!loopback(base) || !shots || !loopback(newer)) {
  console.error('usage: node tests/web/e2e.mjs http://127.0.0.1:PORT SCREENSHOT_DIR http://127.0.0.1:PORT2\n'
    + '(the second server runs other connect-four rules; loopback only)');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const TIMEOUT = 20_000;
const log = (...a) => console.log('[e2e]', ...a);

const browser = await launch();
const problems = [];
const pages = [];
let stage = 'start';
/** Names what happens next, so a failure says where it stopped. */
const step = (name) => { stage = name; };

/** A fresh browser profile (its own localStorage, so its own device id) with one page. */
async function newPage(label, { url = base, setup } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  if (setup) await setup(context);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`${label} console:`, m.text()); });
  await page.goto(url + '/');
  await page.waitForSelector('body[data-ready="1"]');
  const p = { context, page, label };
  pages.push(p);
  return p;
}

async function shot(p, name) {
  await p.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(p, name) {
  await p.page.fill('#name', name);
  await p.page.click('#sign-in');
  await p.page.waitForFunction((n) => document.querySelector('#status').textContent.includes(n), name);
}

const cell = (c, r) => `#board [data-col="${c}"][data-row="${r}"]`;

/** Waits until it is this page's move (its #turn says so). */
async function myTurn(p) {
  await p.page.waitForFunction(() => document.querySelector('#turn').textContent.trim() === 'Your turn');
}

/** Plays column `c` on this page and waits until the disc shows at row `r`. */
async function drop(p, c, r, seat) {
  await myTurn(p);
  await p.page.click(cell(c, 5));
  await p.page.waitForSelector(`${cell(c, r)}[data-seat="${seat}"]`);
}

async function outcome(p) {
  await p.page.waitForFunction(() => document.querySelector('#outcome').textContent.trim() !== '');
  return (await p.page.textContent('#outcome')).trim();
}

async function leaderboardNames(p) {
  return p.page.$$eval('#leaderboard tbody tr[data-name]', (rows) => rows.map((r) => r.dataset.name));
}

try {
  // ---- online: Ada hosts, Bob joins, Cy watches the leaderboard -------------------------
  const ada = await newPage('ada');
  const bob = await newPage('bob');
  const cy = await newPage('cy');
  step('sign in');
  await signIn(ada, 'Ada');
  await signIn(bob, 'Bob');
  await signIn(cy, 'Cy');
  await cy.page.selectOption('#leaderboard-game', 'connect-four');
  const before = await leaderboardNames(cy);
  if (before.includes('Ada')) throw new Error(`Ada is on the leaderboard before playing: ${before}`);

  step('Ada creates a room');
  await ada.page.selectOption('#game', 'connect-four');
  await ada.page.fill('#room-name', 'Friday');
  await ada.page.fill('#room-password', 'fish');
  await ada.page.click('#create-room');
  await ada.page.waitForSelector('#lobby:not([hidden])');

  step('Bob joins with a wrong password');
  // A wrong password is refused with a readable message, and the page stays usable.
  await bob.page.fill('#room-name', 'Friday');
  await bob.page.fill('#room-password', 'chips');
  await bob.page.click('#join-room');
  await bob.page.waitForFunction(() => /password/i.test(document.querySelector('#message').textContent));
  log('wrong password says:', await bob.page.textContent('#message'));
  step('Bob joins');
  await bob.page.fill('#room-password', 'fish');
  await bob.page.click('#join-room');
  await bob.page.waitForSelector('#lobby:not([hidden])');
  await ada.page.waitForFunction(() => document.querySelector('#members').textContent.includes('Bob'));

  step('both ready');
  await ada.page.click('#ready');
  await bob.page.click('#ready');
  await ada.page.waitForFunction(() => (document.querySelector('#members').textContent.match(/ready/gi) || []).length >= 2);
  await shot(ada, '1-lobby');
  step('Ada starts');
  await ada.page.click('#start');
  await ada.page.waitForSelector('#board');
  await bob.page.waitForSelector('#board');

  // Ada (seat 0) stacks column 3, Bob (seat 1) column 4; Ada connects four in column 3.
  step('first moves');
  // Whoever moves first (the game draws it) stacks column 3, the other column 4; the first
  // player connects four in column 3.
  const turn = (p) => p.page.textContent('#turn').then((t) => t.trim() === 'Your turn');
  await ada.page.waitForFunction(() => document.querySelector('#turn').textContent.trim() !== '');
  const adaFirst = await turn(ada);
  const [first, second] = adaFirst ? [ada, bob] : [bob, ada];
  const [one, two] = adaFirst ? ['0', '1'] : ['1', '0'];
  await drop(first, 3, 0, one);
  // Not the first player's move now: a click is refused with a message, and the board does
  // not change.
  await first.page.click(cell(0, 5));
  await first.page.waitForFunction(() => document.querySelector('#message').textContent.trim() !== '');
  log('a move out of turn says:', await first.page.textContent('#message'));
  if (await first.page.getAttribute(cell(0, 0), 'data-seat')) throw new Error('a refused move changed the board');
  await drop(second, 4, 0, two);
  await drop(first, 3, 1, one);

  step('Bob reloads');
  // Bob reloads mid-game and gets his seat back: the board comes back from the server.
  await bob.page.reload();
  await bob.page.waitForSelector('body[data-ready="1"]');
  await bob.page.waitForSelector(`${cell(4, 0)}[data-seat="${two}"]`);
  await bob.page.waitForSelector(`${cell(3, 1)}[data-seat="${one}"]`);
  await shot(bob, '2-bob-after-reload');
  await drop(second, 4, 1, two);
  await drop(first, 3, 2, one);
  await drop(second, 4, 2, two);
  await drop(first, 3, 3, one);
  step('outcomes');
  const firstSays = await outcome(first);
  const secondSays = await outcome(second);
  if (!firstSays.startsWith('You won') || !secondSays.startsWith('You lost')) {
    throw new Error(`outcomes: ${first.label} "${firstSays}", ${second.label} "${secondSays}"`);
  }
  const [winner, loser] = adaFirst ? ['Ada', 'Bob'] : ['Bob', 'Ada'];
  await shot(first, '3-winner');
  await shot(second, '3-loser');

  // Cy's leaderboard shows both players now, without a reload.
  step('leaderboard');
  await cy.page.waitForSelector('#leaderboard tbody tr[data-name="Ada"]');
  await cy.page.waitForSelector('#leaderboard tbody tr[data-name="Bob"]');
  const after = await leaderboardNames(cy);
  if (after.indexOf(winner) > after.indexOf(loser)) throw new Error(`the winner is not above the loser: ${after}`);
  await shot(cy, '4-leaderboard');
  log('leaderboard after the game:', after.join(', '));

  // ---- offline: against the bot with the server unreachable -----------------------------
  // ---- tanks online: Cy against a bot; snapshots arrive, the own tank is forecast from
  // them with the shared rules and drawn at 60 fps -----------------------------------------
  step('tanks online');
  await createRoom(cy, 'tanks', 'Arena');
  await addBot(cy);
  await cy.page.click('#ready');
  await cy.page.click('#start');
  await cy.page.waitForSelector('canvas#arena');
  // A few frames apart while driving: the arena moves, and no page error was raised (the
  // forecast runs on every snapshot; a failure there would throw).
  const arenaFrame = () => cy.page.$eval('canvas#arena', (c) => c.toDataURL());
  await cy.page.waitForTimeout(500);
  const parked = await arenaFrame();
  await cy.page.keyboard.down('KeyW');
  await cy.page.waitForTimeout(700);
  await cy.page.keyboard.up('KeyW');
  if ((await arenaFrame()) === parked) throw new Error('the online tanks arena does not move');
  const fps = await cy.page.evaluate(() => new Promise((done) => {
    let frames = 0;
    const start = performance.now();
    const count = () => { frames++; if (performance.now() - start < 1000) requestAnimationFrame(count); else done(frames); };
    requestAnimationFrame(count);
  }));
  log(`tanks online: the arena redraws (${fps} animation frames in 1 s)`);
  await shot(cy, '5-tanks-online');
  await cy.page.click('#leave').catch(() => {});

  // ---- a dropped connection: the page says so, reconnects, and the game goes on; when the
  // host stays away the page offers to sign in again instead of hanging -----------------
  step('drop: set up');
  const links = [];       // the page side of every socket of this page
  let outage = false;     // while true, new sockets are cut at once
  const dee = await newPage('dee', {
    setup: (context) => context.routeWebSocket(/\/ws$/, (ws) => {
      if (outage) return ws.close({ code: 1011, reason: 'host down' });
      ws.connectToServer();
      links.push(ws);
    }),
  });
  await signIn(dee, 'Dee');
  await createRoom(dee, 'connect-four', 'Flaky');
  await addBot(dee);
  await dee.page.click('#ready');
  await dee.page.click('#start');
  await dee.page.waitForSelector('#board');
  await dee.page.waitForFunction(() => document.querySelector('#turn').textContent.trim() === 'Your turn');
  step('drop: the connection drops');
  await links.at(-1).close({ code: 1001, reason: 'network hiccup' });
  await dee.page.waitForFunction(() => /reconnecting/i.test(document.querySelector('#status').textContent));
  log('a drop says:', await dee.page.textContent('#message'), '/', await dee.page.textContent('#status'));
  await shot(dee, '8-dropped');
  step('drop: back and playing');
  await dee.page.waitForFunction(() => !/reconnecting/i.test(document.querySelector('#status').textContent));
  // Dee (seat 0, the room's creator) plays on: one more disc of hers shows.
  const mine = () => dee.page.$$eval('#board [data-seat="0"]', (c) => c.length);
  const had = await mine();
  await myTurn(dee);
  const free = await dee.page.$$eval('#board [data-row="5"]', (cells) =>
    cells.filter((c) => !c.dataset.seat).map((c) => Number(c.dataset.col))[0]);
  await dee.page.click(cell(free, 5));
  await dee.page.waitForFunction((n) => document.querySelectorAll('#board [data-seat="0"]').length > n, had);
  step('drop: the host stays away');
  outage = true;
  await links.at(-1).close({ code: 1001, reason: 'host gone' });
  await dee.page.waitForSelector('#reconnect:not([hidden])', { timeout: 60_000 });
  log('a host that stays away says:', await dee.page.textContent('#message'));
  if (await dee.page.isDisabled('#play-bot')) throw new Error('the page is stuck: offline play is disabled');
  await shot(dee, '9-host-gone');

  // ---- a host with other rules refuses the handshake, readably --------------------------
  step('rules mismatch');
  const eve = await newPage('eve', { url: newer });
  await eve.page.fill('#name', 'Eve');
  await eve.page.click('#sign-in');
  await eve.page.waitForFunction(() => /rules/i.test(document.querySelector('#message').textContent));
  log('a host with other rules says:', await eve.page.textContent('#message'));
  if (!(await eve.page.isEnabled('#sign-in'))) throw new Error('the sign-in button stays disabled');
  await eve.page.click('#play-bot');
  await eve.page.waitForSelector('#board');
  await shot(eve, '10-rules-mismatch');

  // ---- a host speaking another protocol version refuses the handshake, readably -------
  step('protocol mismatch');
  // A mocked host answers the page's `hello` (request id 1) with the refusal a host of
  // another protocol version sends: postcard `ServerMsg::Error { id: Some(1), error }`
  // (variant 1, Some, id 1, then code and message as length-prefixed UTF-8).
  const refusal = (code, message) => {
    const text = (t) => { const b = Buffer.from(t, 'utf8'); if (b.length > 127) throw new Error('too long'); return [b.length, ...b]; };
    return Buffer.from([1, 1, 1, ...text(code), ...text(message)]);
  };
  const old = await newPage('old', {
    setup: (context) => context.routeWebSocket(/\/ws$/, (ws) => {
      ws.onMessage(() => ws.send(refusal('protocol_mismatch',
        'this host speaks Hearth protocol 2, the client 1; update the client')));
    }),
  });
  await old.page.fill('#name', 'Olga');
  await old.page.click('#sign-in');
  await old.page.waitForFunction(() => /protocol 2/.test(document.querySelector('#message').textContent));
  log('a host of another protocol says:', await old.page.textContent('#message'));
  if (!(await old.page.isEnabled('#sign-in'))) throw new Error('the sign-in button stays disabled');
  await shot(old, '11-protocol-mismatch');

  step('offline');
  const solo = await newPage('solo');
  const requests = [];
  await solo.context.route('**/*', (route) => { requests.push(route.request().url()); return route.abort(); });
  await solo.context.routeWebSocket(/.*/, (ws) => { requests.push(ws.url()); ws.close(); });
  await solo.page.selectOption('#game', 'connect-four');
  await solo.page.click('#play-bot');
  await solo.page.waitForSelector('#board');
  for (let moves = 0; moves < 30; moves++) {
    // The bot's move or the end, whichever comes.
    await solo.page.waitForFunction(() =>
      document.querySelector('#turn').textContent.trim() === 'Your turn'
      || document.querySelector('#outcome').textContent.trim() !== '');
    if ((await solo.page.textContent('#outcome')).trim()) break;
    // The first column with room in it.
    const column = await solo.page.$$eval('#board [data-row="5"]', (cells) =>
      cells.filter((c) => !c.dataset.seat).map((c) => Number(c.dataset.col))[0]);
    await solo.page.click(cell(column, 5));
    await solo.page.waitForFunction(() =>
      document.querySelector('#turn').textContent.trim() !== 'Your turn'
      || document.querySelector('#outcome').textContent.trim() !== '');
  }
  const soloSays = await outcome(solo);
  if (!/^(You won|You lost|Draw)/.test(soloSays)) throw new Error(`offline outcome: "${soloSays}"`);
  await shot(solo, '5-offline-vs-bot');
  log('offline vs bot:', soloSays);

  step('offline chameleon');
  // Chameleon against bots: the page reaches a decision of the human seat (a clue to give,
  // a vote, or a guess) with the topic card on screen.
  await solo.page.selectOption('#game', 'chameleon');
  await solo.page.click('#play-bot');
  await solo.page.waitForSelector('#clue, [data-vote], [data-guess]');
  await shot(solo, '6-offline-chameleon');

  step('offline tanks');
  // Tanks against bots: the arena is drawn and moving (two frames differ).
  await solo.page.selectOption('#game', 'tanks');
  await solo.page.click('#play-bot');
  await solo.page.waitForSelector('canvas#arena');
  const frame = () => solo.page.$eval('canvas#arena', (c) => c.toDataURL());
  const still = await frame();
  await solo.page.keyboard.down('KeyW');
  await solo.page.waitForTimeout(600);
  await solo.page.keyboard.up('KeyW');
  if ((await frame()) === still) throw new Error('the tanks arena does not move');
  await shot(solo, '7-offline-tanks');
  if (requests.length) throw new Error(`offline play made requests: ${requests.join(', ')}`);
  log('offline: connect-four, chameleon and tanks played with no request reaching the network');
} catch (e) {
  problems.push(`at "${stage}": ${e.stack || e}`);
  for (const p of pages) {
    const message = await p.page.textContent('#message').catch(() => '?');
    problems.push(`${p.label}: #message "${message}", #status "${await p.page.textContent('#status').catch(() => '?')}"`);
    await shot(p, `failed-${p.label}`).catch(() => {});
  }
} finally {
  await browser.close();
}
if (problems.length) {
  console.error('[e2e] FAILED:\n' + problems.join('\n'));
  process.exit(1);
}
log('all passed; screenshots in', shots);

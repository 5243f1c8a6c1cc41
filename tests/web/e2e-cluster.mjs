// The browser client on a cluster, in Debian's Chromium (playwright-core): two official
// nodes on one PostgreSQL, started by tests/tests/it/web.rs on loopback, each serving the page:
//   node tests/web/e2e-cluster.mjs http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B SCREENSHOT_DIR
// Ada signs in on node A and makes a room there; Bob signs in on node B and joins it by name
// (node B relays his socket to A); they play connect-four to the end; Bob's socket is cut
// mid-game and his page resumes its seat through node B again. Nothing in the page knows
// there are two nodes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, failureShots, myTurn, drop, createRoom, joinRoom } from './common.mjs';

const [nodeA, nodeB, shots] = process.argv.slice(2);
const loopback = (url) => /^http:\/\/127\.0\.0\.1:\d+$/.test(url || '');
if (!loopback(nodeA) || !loopback(nodeB) || !shots) {
  console.error('usage: node tests/web/e2e-cluster.mjs http://127.0.0.1:A http://127.0.0.1:B SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const TIMEOUT = 20_000;
const log = (...a) => console.log('[e2e-cluster]', ...a);

const browser = await launch();
const problems = [];
let stage = 'start';
const step = (name) => { stage = name; };

async function open(label, url, setup) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  if (setup) await setup(context);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`${label} console:`, m.text()); });
  await page.goto(url + '/');
  await page.waitForSelector('body[data-ready="1"]');
  return { context, page, label };
}

async function signIn(p, name) {
  await p.page.fill('#name', name);
  await p.page.click('#sign-in');
  await p.page.waitForFunction((n) => document.querySelector('#status').textContent.includes(n), name);
}


let failed = false;
try {
  step('sign in on two nodes');
  const links = [];
  const ada = await open('ada', nodeA);
  const bob = await open('bob', nodeB, (context) => context.routeWebSocket(/\/ws$/, (ws) => {
    ws.connectToServer();
    links.push(ws);
  }));
  await signIn(ada, 'Ada');
  await signIn(bob, 'Bob');
  step('a room on A, joined through B');
  await createRoom(ada, 'connect-four', 'Across');
  await joinRoom(bob, 'Across');
  await ada.page.waitForFunction(() => document.querySelector('#members').textContent.includes('Bob'));
  await ada.page.click('#ready');
  await bob.page.click('#ready');
  await ada.page.waitForFunction(() => (document.querySelector('#members').textContent.match(/ready/gi) || []).length >= 2);
  await ada.page.click('#start');
  await bob.page.waitForSelector('#board');
  step('play');
  const seat = new Map([[ada, 0], [bob, 1]]);
  const firstUp = await Promise.race([ada, bob].map((p) => myTurn(p).then(() => p)));
  const [first, second] = firstUp === ada ? [ada, bob] : [bob, ada];
  await drop(first, 0, 0, seat.get(first));
  await drop(second, 1, 0, seat.get(second));
  await drop(first, 0, 1, seat.get(first));
  step('Bob\'s socket is cut');
  await links.at(-1).close({ code: 1001, reason: 'network hiccup' });
  for (const until = Date.now() + TIMEOUT; links.length < 2;) {
    if (Date.now() > until) throw new Error('Bob\'s page did not open a new socket');
    await bob.page.waitForTimeout(50);
  }
  await bob.page.waitForFunction(() => !/reconnecting/i.test(document.querySelector('#status').textContent)
    && /in room/i.test(document.querySelector('#status').textContent));
  log('Bob resumed his seat through node B:', await bob.page.textContent('#status'));
  await drop(second, 1, 1, seat.get(second));
  await drop(first, 0, 2, seat.get(first));
  await drop(second, 1, 2, seat.get(second));
  await drop(first, 0, 3, seat.get(first));
  step('the end');
  const outcome = async (p) => {
    await p.page.waitForFunction(() => document.querySelector('#outcome').textContent.trim() !== '');
    return (await p.page.textContent('#outcome')).trim();
  };
  const said = [await outcome(first), await outcome(second)];
  if (!said[0].startsWith('You won') || !said[1].startsWith('You lost')) throw new Error(`the outcomes read ${said.join(' / ')}`);
  await ada.page.screenshot({ path: join(shots, 'cluster-ada.png'), fullPage: true });
  await bob.page.screenshot({ path: join(shots, 'cluster-bob.png'), fullPage: true });
  if (problems.length) throw new Error(problems.join('\n'));
  log(`Ada on node A and Bob through node B played connect-four to the end (${said.join(' / ')})`);
} catch (e) {
  failed = true;
  console.error(`[e2e-cluster] failed at "${stage}": ${e.stack || e}`);
  await failureShots(browser, shots, 'cluster');
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

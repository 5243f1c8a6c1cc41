// What the browser tests share: Debian's Chromium as this machine can run it, screenshots of
// every page when a test fails, making and joining rooms, and playing connect-four on the page.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

/** Headless Chromium (`CHROMIUM`, else Debian's): no sandbox (root), and none of its own
 * network traffic (this machine's network is closed; background requests fail loudly). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A full-page screenshot of every open page, named `failed-PREFIX-CONTEXT-PAGE.png`. */
export async function failureShots(browser, shots, prefix) {
  for (const [n, c] of browser.contexts().entries()) {
    for (const [i, p] of c.pages().entries()) {
      await p.screenshot({ path: join(shots, `failed-${prefix}-${n}-${i}.png`), fullPage: true }).catch(() => {});
    }
  }
}

/** The connect-four cell at column `c`, row `r` (row 0 is the bottom). */
export const cell = (c, r) => `#board [data-col="${c}"][data-row="${r}"]`;

/** Waits until it is this page's move. */
export const myTurn = (p) => p.page.waitForFunction(() => document.querySelector('#turn').textContent.trim() === 'Your turn');

/** Plays column `c` (a click, or a tap on a touch screen, on its top cell) and waits for
 * `seat`'s disc at row `r`. */
export async function drop(p, c, r, seat, { tap = false } = {}) {
  await myTurn(p);
  if (tap) await p.page.tap(cell(c, 5));
  else await p.page.click(cell(c, 5));
  await p.page.waitForSelector(`${cell(c, r)}[data-seat="${seat}"]`);
}

const press = (p, sel, tap) => (tap ? p.page.tap(sel) : p.page.click(sel));

/** Makes room `name` for `game` (no password) and waits for its lobby. */
export async function createRoom(p, game, name, { tap = false } = {}) {
  await p.page.selectOption('#game', game);
  await p.page.fill('#room-name', name);
  await p.page.fill('#room-password', '');
  await press(p, '#create-room', tap);
  await p.page.waitForSelector('#lobby:not([hidden])');
}

/** Joins room `name` (no password) and waits for its lobby. */
export async function joinRoom(p, name, { tap = false } = {}) {
  await p.page.fill('#room-name', name);
  await p.page.fill('#room-password', '');
  await press(p, '#join-room', tap);
  await p.page.waitForSelector('#lobby:not([hidden])');
}

/** Adds a bot to the room (its host) and waits until the member list shows it. */
export async function addBot(p, { tap = false } = {}) {
  await press(p, '#add-bot', tap);
  await p.page.waitForFunction(() => /bot/i.test(document.querySelector('#members').textContent));
}

/** Leaves the room and waits for the lobby to go. */
export async function leaveRoom(p, { tap = false } = {}) {
  await press(p, '#leave', tap);
  await p.page.waitForSelector('#lobby', { state: 'hidden' });
}

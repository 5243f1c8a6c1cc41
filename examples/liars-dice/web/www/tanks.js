// Tanks: a canvas redrawn every animation frame, interpolating between 20 Hz ticks.
// Offline, this module runs the session's clock (an accumulator driven by setInterval).
// Online, the others are drawn from the server's snapshots, and the own tank from a local
// prediction: a session rebuilt from each snapshot (Session.predict) that replays the
// inputs this page sent for the ticks after it, so steering answers at once.
// `import *`: a developer's module over their own games has no tanksMap, and a missing named
// import would stop the whole page from loading.
import * as hearth from './pkg/hearth.js';

const { Session } = hearth;

const TILE = 1024;          // fixed-point units per map tile (rules: tanks::TILE)
const TANK_RADIUS = 360;    // rules: tanks::TANK_RADIUS
const PX = 24;              // pixels per tile
const SCALE = PX / TILE;
const MAX_AHEAD = 10;       // most ticks the prediction runs ahead of the last snapshot
const IDLE = { turn: 0, thrust: 0, fire: false };
// Views name their map; its walls come from the rules themselves (one lookup per map).
const maps = new Map();
const mapRows = (name) => {
  if (!maps.has(name)) maps.set(name, hearth.tanksMap(name));
  return maps.get(name);
};
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45',
  '#fabed4', '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#ffd8b1'];
const LAYOUTS = {
  both: { left: ['ArrowLeft', 'KeyA'], right: ['ArrowRight', 'KeyD'], up: ['ArrowUp', 'KeyW'], down: ['ArrowDown', 'KeyS'], fire: ['Space'] },
  wasd: { left: ['KeyA'], right: ['KeyD'], up: ['KeyW'], down: ['KeyS'], fire: ['Space'] },
  arrows: { left: ['ArrowLeft'], right: ['ArrowRight'], up: ['ArrowUp'], down: ['ArrowDown'], fire: ['Enter', 'ShiftRight'] },
};
const GAME_KEYS = new Set(Object.values(LAYOUTS.both).flat().concat(LAYOUTS.arrows.fire));

/** Real time: nobody waits for a turn. */
export function actors() {
  return [];
}

function inputOf(keys, layout) {
  const any = (codes) => (codes.some((c) => keys.has(c)) ? 1 : 0);
  return { turn: any(layout.right) - any(layout.left), thrust: any(layout.up) - any(layout.down), fire: any(layout.fire) === 1 };
}

const lerp = (a, b, t) => a + (b - a) * t;
/** Heading (binary angle, 256 per turn) to radians, interpolated the short way round. */
function angle(h0, h1, t) {
  const d = ((((h1 - h0) % 256) + 384) % 256) - 128;
  return ((h0 + d * t) * Math.PI * 2) / 256;
}

/**
 * ctx: {mode: 'bot'|'hotseat'|'online', seat, names, tickRate, fail,
 *       offline: session, level, onOver(outcome); online: config, seats, act(input, tick), isOver()}
 */
export function create(area, ctx) {
  const el = document.createElement('div');
  el.className = 'tanks';
  const canvas = document.createElement('canvas');
  canvas.id = 'arena';
  canvas.width = 32 * PX;
  canvas.height = 20 * PX;
  canvas.tabIndex = 0;
  el.append(canvas);
  area.append(el);
  canvas.focus(); // so Space and the arrows do not press a button or change a select
  const g = canvas.getContext('2d');
  const tickMs = 1000 / ctx.tickRate;
  const online = ctx.mode === 'online';
  const controls = ctx.mode === 'hotseat' ? new Map([[0, LAYOUTS.wasd], [1, LAYOUTS.arrows]])
    : ctx.seat == null ? new Map() : new Map([[ctx.seat, LAYOUTS.both]]);

  let prev = null;   // the view one tick before `cur`, to interpolate from
  let cur = null;    // the latest view (offline: the session's; online: the last snapshot)
  let curAt = 0;     // when `cur` arrived (performance.now())
  let over = false;
  const timers = [];

  // Keys are read from the whole page, except while typing in a field.
  const keys = new Set();
  const typing = (ev) => ev.target.closest?.('input, textarea, select');
  const down = (ev) => {
    if (typing(ev) || !GAME_KEYS.has(ev.code)) return;
    ev.preventDefault();
    keys.add(ev.code);
    if (online) send();
  };
  const up = (ev) => {
    if (!keys.delete(ev.code)) return;
    ev.preventDefault();
    if (online) send();
  };
  const blur = () => keys.clear();
  window.addEventListener('keydown', down);
  window.addEventListener('keyup', up);
  window.addEventListener('blur', blur);

  // A touch pad for one seated player (phones have no keys): each button holds a key down
  // while pressed. Hidden by the style sheet where the pointer is fine (a mouse).
  if (ctx.seat != null && ctx.mode !== 'hotseat') {
    const pad = document.createElement('div');
    pad.className = 'pad';
    for (const [label, code, name] of [['◀', 'ArrowLeft', 'left'], ['▲', 'ArrowUp', 'up'], ['▼', 'ArrowDown', 'down'],
      ['▶', 'ArrowRight', 'right'], ['Fire', 'Space', 'fire']]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.dataset.pad = name;
      const press = (on) => (ev) => {
        ev.preventDefault();
        if (on === keys.has(code)) return;
        if (on) {
          keys.add(code);
          b.setPointerCapture?.(ev.pointerId);
        } else keys.delete(code);
        b.classList.toggle('held', on);
        if (online) send();
      };
      b.addEventListener('pointerdown', press(true));
      for (const end of ['pointerup', 'pointercancel', 'lostpointercapture']) b.addEventListener(end, press(false));
      b.addEventListener('contextmenu', (ev) => ev.preventDefault());
      pad.append(b);
    }
    el.append(pad);
  }

  // ------------------------------------------------------------ offline: run the clock
  if (!online) {
    const s = ctx.session;
    const viewSeat = ctx.mode === 'bot' ? 0 : null;
    const applied = new Map(); // seat → last input applied (JSON), to apply changes only
    cur = prev = s.view(viewSeat);
    curAt = performance.now();
    let last = curAt;
    let owed = 0;
    const bots = [];
    for (let seat = 0; seat < s.seats; seat++) if (!controls.has(seat)) bots.push(seat);
    // One tick as a host's room runs it (the shared driver): the bots decide, the inputs
    // that changed apply in seat order, the game ticks.
    const step = () => {
      const inputs = [];
      for (const [seat, layout] of controls) {
        const input = inputOf(keys, layout);
        const key = JSON.stringify(input);
        if (applied.get(seat) !== key) {
          inputs.push({ seat, action: input });
          applied.set(seat, key);
        }
      }
      s.step(inputs, bots, ctx.level);
      prev = cur;
      cur = s.view(viewSeat);
      curAt = performance.now();
    };
    timers.push(setInterval(() => {
      const now = performance.now();
      owed += now - last;
      last = now;
      // Catch up after a stall, but never by more than a few ticks at once.
      for (let n = 0; owed >= tickMs && !over && n < 4; n++) {
        owed -= tickMs;
        try {
          step();
        } catch (e) {
          over = true;
          ctx.fail(e);
        }
        if (s.isOver && !over) {
          over = true;
          ctx.onOver(s.outcome);
        }
      }
      if (owed > 4 * tickMs) owed = 0;
    }, tickMs / 2));
  }

  // ------------------------------------------------------------ online: predict and send
  let pred = null;            // prediction session, or null (spectating, destroyed, or over)
  let predTick = 0;           // the tick pred has reached
  let mine = null;            // own tank at predTick and predTick - 1 (views)
  let minePrev = null;
  const sent = [];            // [{tick, input}] in stamp order: what the server will apply
  let lastKey = JSON.stringify(IDLE);
  let lastStamp = 0;
  let lastSendAt = -Infinity;
  let lead = 1;               // extra ticks of headroom, grown when inputs arrive late
  let lateAt = 0;
  let predictFailed = false;

  /** The tick the own tank should be shown at now. */
  const target = (now) => Math.min(cur.tick + Math.floor((now - curAt) / tickMs) + lead, cur.tick + MAX_AHEAD);
  /** The own input in force at `tick`: the last one sent for it or earlier, else the one the
   * snapshot says the server holds. */
  function heldAt(tick) {
    let input = cur.tanks[ctx.seat]?.input ?? IDLE;
    for (const x of sent) {
      if (x.tick > tick) break;
      input = x.input;
    }
    return input;
  }

  function repredict() {
    pred?.free();
    pred = null;
    const me = cur.tanks[ctx.seat];
    // A destroyed tank respawns where the server's dice say: nothing to predict until then.
    if (!me || me.hp === 0 || ctx.isOver()) return;
    while (sent.length > 1 && sent[1].tick <= cur.tick) sent.shift();
    try {
      pred = Session.predict('tanks', ctx.config, ctx.seats, cur, cur.tick);
    } catch (e) {
      if (!predictFailed) ctx.fail(e);
      predictFailed = true;
      return;
    }
    predTick = cur.tick;
    mine = minePrev = me;
    advance(performance.now());
  }

  function advance(now) {
    if (!pred) return;
    try {
      for (const to = target(now); predTick < to; predTick++) {
        pred.apply(ctx.seat, heldAt(predTick));
        pred.tick();
        minePrev = mine;
        mine = pred.view(ctx.seat).tanks[ctx.seat];
      }
    } catch {
      pred.free(); // e.g. the predicted game ended: fall back to snapshots
      pred = null;
    }
  }

  /** Sends the held keys when they changed, at most once per tick, stamped for the tick
   * after the predicted one (the server applies it when it gets there). */
  function send() {
    const now = performance.now();
    if (!cur || ctx.seat == null || ctx.isOver() || now - lastSendAt < tickMs) return;
    const input = inputOf(keys, LAYOUTS.both);
    const key = JSON.stringify(input);
    if (key === lastKey) return;
    const stamp = Math.max(target(now) + 1, lastStamp);
    lastKey = key;
    lastStamp = stamp;
    lastSendAt = now;
    sent.push({ tick: stamp, input });
    ctx.act(input, stamp).then((accepted) => {
      // Applied later than stamped: the network is slower than the headroom.
      if (accepted && accepted.tick > stamp) {
        lead = Math.min(MAX_AHEAD - 1, lead + (accepted.tick - stamp));
        lateAt = performance.now();
      }
    }, (e) => {
      if (!ctx.isOver() && e.code !== 'not_playing') ctx.fail(e);
    });
  }
  if (online && ctx.seat != null) {
    timers.push(setInterval(() => {
      send();
      // Shrink the headroom again after a calm spell.
      if (lead > 1 && performance.now() - lateAt > 10000) {
        lead--;
        lateAt = performance.now();
      }
    }, tickMs / 2));
  }

  // ------------------------------------------------------------ drawing
  function drawTank(i, x, y, rad, t) {
    const cx = x * SCALE;
    const cy = y * SCALE;
    const r = TANK_RADIUS * SCALE;
    const colour = COLOURS[i % COLOURS.length];
    g.font = '11px sans-serif';
    g.textAlign = 'center';
    if (t.hp === 0) {
      g.strokeStyle = colour;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(cx - r, cy - r); g.lineTo(cx + r, cy + r);
      g.moveTo(cx + r, cy - r); g.lineTo(cx - r, cy + r);
      g.stroke();
      g.fillStyle = '#ddd';
      g.fillText(`${ctx.names(i)} · back in ${Math.ceil(t.respawn_in / ctx.tickRate)} s`, cx, cy + r + 12);
      return;
    }
    g.save();
    g.translate(cx, cy);
    g.rotate(rad);
    g.globalAlpha = t.protected ? 0.45 : 1;
    g.fillStyle = colour;
    g.fillRect(-r, -r * 0.85, 2 * r, 1.7 * r);
    g.strokeStyle = i === ctx.seat ? '#fff' : '#111';
    g.lineWidth = 1.5;
    g.strokeRect(-r, -r * 0.85, 2 * r, 1.7 * r);
    g.fillStyle = '#eee';
    g.fillRect(0, -r * 0.2, r * 1.8, r * 0.4);
    g.restore();
    g.fillStyle = '#333';
    g.fillRect(cx - r, cy - r - 7, 2 * r, 4);
    g.fillStyle = t.hp > 50 ? '#4c4' : t.hp > 25 ? '#dc4' : '#d44';
    g.fillRect(cx - r, cy - r - 7, (2 * r * t.hp) / 100, 4);
    g.fillStyle = i === ctx.seat ? '#fff' : '#ccc';
    g.fillText(ctx.names(i) + (i === ctx.seat && ctx.names(i) !== 'You' ? ' (you)' : ''), cx, cy + r + 12);
  }

  function draw(now) {
    g.fillStyle = '#2b2f26';
    g.fillRect(0, 0, canvas.width, canvas.height);
    if (!cur) {
      g.fillStyle = '#ddd';
      g.font = '16px sans-serif';
      g.textAlign = 'center';
      g.fillText('Waiting for the first snapshot…', canvas.width / 2, canvas.height / 2);
      return;
    }
    g.fillStyle = '#6b6f66';
    mapRows(cur.map).forEach((row, ty) => {
      for (let tx = 0; tx < row.length; tx++) if (row[tx] === '#') g.fillRect(tx * PX, ty * PX, PX, PX);
    });
    const t = Math.min(1, (now - curAt) / tickMs);
    cur.tanks.forEach((tank, i) => {
      if (online && i === ctx.seat && pred && mine) {
        const f = Math.min(1, ((now - curAt) / tickMs) % 1);
        drawTank(i, lerp(minePrev.x, mine.x, f), lerp(minePrev.y, mine.y, f), angle(minePrev.heading, mine.heading, f), mine);
        return;
      }
      const p = prev?.tanks[i] ?? tank;
      // A respawn is a jump, not a drive: do not slide across the map.
      const jump = Math.abs(p.x - tank.x) + Math.abs(p.y - tank.y) > 2 * TILE;
      const k = jump ? 1 : t;
      drawTank(i, lerp(p.x, tank.x, k), lerp(p.y, tank.y, k), angle(p.heading, tank.heading, k), tank);
    });
    for (const b of cur.bullets) {
      g.fillStyle = COLOURS[b.owner % COLOURS.length];
      g.beginPath();
      g.arc((b.x - b.vx * (1 - t)) * SCALE, (b.y - b.vy * (1 - t)) * SCALE, 3, 0, Math.PI * 2);
      g.fill();
    }
    // Heads-up line on the top wall: time left and scores.
    const secs = Math.ceil(cur.ticks_left / ctx.tickRate);
    const clock = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
    g.fillStyle = '#fff';
    g.font = '13px sans-serif';
    g.textAlign = 'left';
    g.fillText(`${clock}   ` + cur.tanks.map((tk, i) => `${ctx.names(i)} ${tk.score}`).join(' · '), 6, 16);
    if (over || (online && ctx.isOver())) {
      g.textAlign = 'center';
      g.font = 'bold 28px sans-serif';
      g.fillText('Game over', canvas.width / 2, canvas.height / 2);
    }
  }

  let raf = 0;
  const frame = (now) => {
    raf = requestAnimationFrame(frame);
    if (online && cur) advance(now);
    draw(now);
  };
  raf = requestAnimationFrame(frame);

  return {
    el,
    /** Online: a server snapshot (newer ticks only; coalescing may skip some). */
    snapshot(tick, view) {
      if (cur && tick <= cur.tick) return;
      prev = cur ?? view;
      cur = view;
      curAt = performance.now();
      if (ctx.seat != null) repredict();
    },
    destroy() {
      cancelAnimationFrame(raf);
      timers.forEach(clearInterval);
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
      pred?.free();
      pred = null;
      el.remove();
    },
  };
}

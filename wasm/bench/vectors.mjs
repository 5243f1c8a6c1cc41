// Apply throughput of the browser module under node: every golden vector played through
// `Session` with JS objects, as a page would (`apply`, which throws on refusal, and
// `tryApply`, which returns null), and through the binary entry points (postcard
// actions made beforehand with `encodeAction`, `applyBytes`/`tickBytes`, events back as
// postcard), for a few seconds after a warm-up. The native side of the comparison is
// `cargo bench -p hearth-games --bench rules -- "golden vectors"` (the same steps through the
// catalog with JSON values, and with postcard). Needs web/pkg (scripts/build-web.sh).
//   node wasm/bench/vectors.mjs [seconds]
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { initSync, Session } = await import(join(root, 'web/pkg/hearth.js'));
initSync({ module: readFileSync(join(root, 'web/pkg/hearth_bg.wasm')) });

const dir = join(root, 'tests/vectors');
const vectors = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
const steps = vectors.reduce((n, v) => n + v.steps.length, 0);

function playAll() {
  for (const v of vectors) {
    const s = new Session(v.game, v.config, v.seats, v.seed);
    for (const step of v.steps) {
      if (step.op === 'tick') s.tick();
      else try { s.apply(step.seat, step.action); } catch { /* refusals are part of the vectors */ }
    }
    if (s.hash.length !== 16) throw new Error('no hash');
    s.free();
  }
}

// The same with `tryApply`: refusals and malformed actions return null (`lastRefusal` says
// why) instead of throwing an `Error`.
function playAllTry() {
  for (const v of vectors) {
    const s = new Session(v.game, v.config, v.seats, v.seed);
    for (const step of v.steps) {
      if (step.op === 'tick') s.tick();
      else s.tryApply(step.seat, step.action);
    }
    if (s.hash.length !== 16) throw new Error('no hash');
    s.free();
  }
}

// The same steps with postcard actions encoded beforehand (steps whose action is no action of
// the game cannot be encoded and are left out, as in the native bench).
const binary = vectors.map((v) => {
  const s = new Session(v.game, v.config, v.seats, v.seed);
  const steps = [];
  for (const step of v.steps) {
    if (step.op === 'tick') { steps.push(null); continue; }
    try { steps.push({ seat: step.seat, action: s.encodeAction(step.action) }); } catch { /* not encodable */ }
  }
  s.free();
  return { v, steps };
});
const binarySteps = binary.reduce((n, b) => n + b.steps.length, 0);
function playAllBytes() {
  for (const { v, steps } of binary) {
    const s = new Session(v.game, v.config, v.seats, v.seed);
    for (const step of steps) {
      if (step === null) s.tickBytes();
      else s.applyBytes(step.seat, step.action); // -1 on refusal: nothing thrown
    }
    if (s.hash.length !== 16) throw new Error('no hash');
    s.free();
  }
}

// The same games as records (accepted actions with their ticks), replayed inside Wasm in one
// call each: the rules' own speed in Wasm, with one crossing of the JS boundary per game.
const records = vectors.map((v) => {
  const s = new Session(v.game, v.config, v.seats, v.seed);
  const log = [];
  for (const step of v.steps) {
    if (step.op === 'tick') { s.tick(); continue; }
    const tick = s.tickCount;
    try { s.apply(step.seat, step.action); } catch { continue; }
    log.push({ index: log.length, tick, seat: step.seat, action: step.action });
  }
  return { v, log, ticks: s.tickCount, hash: s.hash };
});
function replayAll() {
  for (const r of records) {
    const s = Session.replay(r.v.game, r.v.config, r.v.seats, r.v.seed, r.log, r.ticks);
    if (s.hash !== r.hash) throw new Error(`${r.v.name}: replay hash differs`);
    s.free();
  }
}

/** Runs `fn` for `seconds` after a warm-up that lets the engine tier up; rounds per second. */
function measure(fn, seconds) {
  for (let i = 0; i < 5; i++) fn();
  let rounds = 0;
  let elapsed = 0;
  const start = process.hrtime.bigint();
  while (elapsed < seconds) {
    fn();
    rounds++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return rounds / elapsed;
}

const seconds = Number(process.argv[2] || 5);
const playPerSec = measure(playAll, seconds) * steps;
const tryPerSec = measure(playAllTry, seconds) * steps;
const bytesPerSec = measure(playAllBytes, seconds) * binarySteps;
const entries = records.reduce((n, r) => n + r.log.length, 0);
const replayPerSec = measure(replayAll, seconds) * steps;
console.log(`${vectors.length} vectors, ${steps} steps (${entries} accepted actions), node ${process.version}:`);
console.log(`  Session.apply/tick from JS: ${Math.round(playPerSec).toLocaleString('en')} steps/s (${(1e6 / playPerSec).toFixed(2)} µs a step)`);
console.log(`  Session.tryApply/tick from JS: ${Math.round(tryPerSec).toLocaleString('en')} steps/s (${(1e6 / tryPerSec).toFixed(2)} µs a step)`);
console.log(`  Session.applyBytes/tickBytes from JS, ${binarySteps} encodable steps: ${Math.round(bytesPerSec).toLocaleString('en')} steps/s (${(1e6 / bytesPerSec).toFixed(2)} µs a step)`);
console.log(`  Session.replay (inside Wasm): ${Math.round(replayPerSec).toLocaleString('en')} steps/s (${(1e6 / replayPerSec).toFixed(3)} µs a step)`);
console.log(JSON.stringify({ bench: 'wasm golden vectors', steps, entries,
  apply_steps_per_sec: Math.round(playPerSec), try_apply_steps_per_sec: Math.round(tryPerSec), binary_steps: binarySteps,
  apply_bytes_steps_per_sec: Math.round(bytesPerSec), replay_steps_per_sec: Math.round(replayPerSec) }));

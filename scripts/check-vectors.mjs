// Replays golden vectors through a built Hearth browser module under node, through the very
// JS API a page calls: every step's acceptance, refusal code and hash, a snapshot/restore
// halfway, the outcome, and each game's rules fingerprint against the module's `games()`;
// then again through the binary entry points (`encodeAction`, `applyBytes`, `tickBytes`,
// `lastRefusal`, `decodeEvents`), whose events must equal what `apply` returned; and once
// more as a match record (`Session.replay` of the accepted actions), whose hash must be the
// vector's last, with malformed records refused by code.
//   node scripts/check-vectors.mjs PATH/TO/pkg/hearth.js VECTOR_DIR
// Prints `wasm: N vectors, M steps, 0 failures` and exits 0 only when everything matched.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [moduleArg, dirArg] = process.argv.slice(2);
if (!moduleArg || !dirArg) {
  console.error('usage: node scripts/check-vectors.mjs PATH/TO/pkg/hearth.js VECTOR_DIR');
  process.exit(2);
}
const modulePath = resolve(moduleArg);
const hearth = await import(pathToFileURL(modulePath).href);
const wasmPath = join(dirname(modulePath), modulePath.replace(/^.*\//, '').replace(/\.js$/, '_bg.wasm'));
hearth.initSync({ module: readFileSync(wasmPath) });

const files = readdirSync(dirArg).filter((f) => f.endsWith('.json')).sort();
const fingerprints = new Map(hearth.games().map((g) => [g.name, g.fingerprint]));
let failures = 0;
let steps = 0;
const fail = (what) => { failures++; console.error(`FAIL ${what}`); };

for (const file of files) {
  const v = JSON.parse(readFileSync(join(dirArg, file), 'utf8'));
  if (fingerprints.get(v.game) !== v.fingerprint) {
    fail(`${v.name}: the module's ${v.game} is ${fingerprints.get(v.game)}, the vector ${v.fingerprint}`);
    continue;
  }
  let s = new hearth.Session(v.game, v.config, v.seats, v.seed);
  if (s.hash !== v.initial_hash) fail(`${v.name}: initial hash ${s.hash}`);
  const half = Math.floor(v.steps.length / 2);
  v.steps.forEach((step, i) => {
    if (i === half) {
      // Carrying on from a snapshot must not make a difference.
      const restored = hearth.Session.restore(s.snapshot());
      s.free();
      s = restored;
    }
    if (step.op === 'tick') {
      s.tick();
    } else {
      let code = null;
      try { s.apply(step.seat, step.action); } catch (e) { code = e.code ?? String(e); }
      if (code !== (step.error ?? null)) fail(`${v.name} step ${i}: ${code} instead of ${step.error}`);
    }
    if (s.hash !== step.hash) fail(`${v.name} step ${i}: hash ${s.hash}, want ${step.hash}`);
    steps++;
  });
  if (JSON.stringify(s.outcome) !== JSON.stringify(v.outcome)) {
    fail(`${v.name}: outcome ${JSON.stringify(s.outcome)}, want ${JSON.stringify(v.outcome)}`);
  }
  s.free();

  // The binary entry points, beside the JS-value ones: same refusals, hashes and events.
  const json = new hearth.Session(v.game, v.config, v.seats, v.seed);
  const bin = new hearth.Session(v.game, v.config, v.seats, v.seed);
  v.steps.forEach((step, i) => {
    if (step.op === 'tick') {
      const want = JSON.stringify(json.tick());
      const length = bin.tickBytes();
      const bytes = bin.lastEvents;
      if (bytes.length !== length) fail(`${v.name} step ${i} (bytes): tickBytes said ${length} bytes, lastEvents has ${bytes.length}`);
      const got = JSON.stringify(bin.decodeEvents(bytes));
      if (got !== want) fail(`${v.name} step ${i} (bytes): tick events ${got}, want ${want}`);
    } else {
      let want = null;
      try { want = JSON.stringify(json.apply(step.seat, step.action)); } catch { /* refused */ }
      let code = null;
      let action = null;
      try { action = bin.encodeAction(step.action); } catch (e) { code = e.code ?? String(e); }
      if (action) {
        const length = bin.applyBytes(step.seat, action);
        if (length < 0) code = bin.lastRefusal?.code ?? 'no lastRefusal';
        else if (bin.lastRefusal !== null) fail(`${v.name} step ${i} (bytes): lastRefusal after an accepted action`);
        else if (bin.lastEvents.length !== length) fail(`${v.name} step ${i} (bytes): applyBytes said ${length} bytes`);
        else if (JSON.stringify(bin.decodeEvents(bin.lastEvents)) !== want) fail(`${v.name} step ${i} (bytes): events differ`);
      }
      if (code !== (step.error ?? null)) fail(`${v.name} step ${i} (bytes): ${code} instead of ${step.error}`);
    }
    if (bin.hash !== step.hash) fail(`${v.name} step ${i} (bytes): hash ${bin.hash}, want ${step.hash}`);
  });
  json.free();
  bin.free();

  // As a match record: the accepted actions with their ticks, rebuilt in one call.
  const log = [];
  const live = new hearth.Session(v.game, v.config, v.seats, v.seed);
  for (const step of v.steps) {
    if (step.op === 'tick') { live.tick(); continue; }
    const tick = live.tickCount;
    try { live.apply(step.seat, step.action); } catch { continue; }
    log.push({ index: log.length, tick, seat: step.seat, action: step.action });
  }
  live.free();
  const last = v.steps.length ? v.steps[v.steps.length - 1].hash : v.initial_hash;
  const ticks = v.steps.filter((st) => st.op === 'tick').length;
  const replayed = hearth.Session.replay(v.game, v.config, v.seats, v.seed, log, ticks);
  if (replayed.hash !== last) fail(`${v.name} (replay): hash ${replayed.hash}, want ${last}`);
  replayed.free();
  const refusedCode = (badLog) => {
    try { hearth.Session.replay(v.game, v.config, v.seats, v.seed, badLog, null).free(); return null; } catch (e) { return e.code ?? String(e); }
  };
  if (log.length > 0) {
    const noSeat = log.map((e, i) => (i === 0 ? { index: e.index, tick: e.tick, action: e.action } : e));
    if (refusedCode(noSeat) !== 'decode') fail(`${v.name} (replay): an entry without a seat gave ${refusedCode(noSeat)}`);
    const foreign = log.map((e, i) => (i === 0 ? { ...e, action: { no_such_action: true } } : e));
    if (refusedCode(foreign) !== 'replay') fail(`${v.name} (replay): a foreign action gave ${refusedCode(foreign)}`);
  }
  if (refusedCode({ not: 'a list' }) !== 'decode') fail(`${v.name} (replay): a log that is no list gave ${refusedCode({})}`);
}
console.log(`wasm: ${files.length} vectors, ${steps} steps, ${failures} failures`);
process.exit(failures === 0 && files.length > 0 ? 0 : 1);

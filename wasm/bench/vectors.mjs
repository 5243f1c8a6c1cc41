// Apply throughput of the browser module under node: every golden vector played through
// `Session` with JS objects, as a page would, for a few seconds after a warm-up. The native
// side of the comparison is `cargo bench -p hearth-rules --bench rules -- "golden vectors"`
// (the same steps through the catalog with JSON values). Needs web/pkg (scripts/build-web.sh).
//   node wasm/bench/vectors.mjs [seconds]
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { initSync, Session } = await import(join(root, 'web/pkg/hearth_wasm.js'));
initSync({ module: readFileSync(join(root, 'web/pkg/hearth_wasm_bg.wasm')) });

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

const seconds = Number(process.argv[2] || 5);
for (let i = 0; i < 5; i++) playAll(); // warm-up: let the engine tier up
let rounds = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < seconds) {
  playAll();
  rounds++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
const perSecond = (rounds * steps) / elapsed;
console.log(`${vectors.length} vectors, ${steps} steps a round, ${rounds} rounds in ${elapsed.toFixed(2)} s: `
  + `${Math.round(perSecond).toLocaleString('en')} steps/s (${(1e6 / perSecond).toFixed(2)} µs a step), node ${process.version}`);
console.log(JSON.stringify({ bench: 'wasm golden vectors', steps_per_sec: Math.round(perSecond), rounds, steps }));

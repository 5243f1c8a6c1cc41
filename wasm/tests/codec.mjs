// Checks the browser module's codec (wasm/src/codec.js) on samples a native test wrote
// (wasm/build/tests/codec.rs): every postcard value decodes to serde_json's JSON form and
// encodes back to the same bytes; every mutated JSON value is taken (as the same bytes) or
// refused (with code `decode`) exactly as serde_json did — except a field added where the
// Rust type would ignore it, which the codec refuses (documented).
//   node wasm/tests/codec.mjs SAMPLES.json
import { readFileSync } from 'node:fs';
import { install, encode, decode } from '../src/codec.js';

const { shapes, good, mutated } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
install(JSON.stringify(shapes));

// Key order is not compared: JS objects put integer-like keys first.
const canon = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
const hex = (b) => Buffer.from(b).toString('hex');
let failures = 0;
const fail = (what) => {
  if (failures++ < 20) console.error(`FAIL ${what}`);
};

for (const [i, s] of good.entries()) {
  const bytes = Uint8Array.from(s.bytes);
  let value;
  try {
    value = decode(s.game, s.kind, bytes);
  } catch (e) {
    fail(`good ${i}: decode threw ${e.message}`);
    continue;
  }
  if (canon(value) !== canon(s.json)) fail(`good ${i}: decoded ${canon(value)}, want ${canon(s.json)}`);
  try {
    const back = encode(s.game, s.kind, s.json);
    // A default config may be written as no bytes or as the defaults' bytes: both decode alike.
    if (hex(back) !== hex(bytes) && !(s.kind === 0 && canon(decode(s.game, 0, back)) === canon(s.json))) {
      fail(`good ${i}: encoded ${hex(back)}, want ${hex(bytes)}`);
    }
  } catch (e) {
    fail(`good ${i}: encode threw ${e.message} for ${canon(s.json)}`);
  }
  if (bytes.length > 0) {
    try {
      decode(s.game, s.kind, bytes.subarray(0, bytes.length - 1));
      // A shorter prefix can still be a whole value (a list's last item gone is not: the
      // length says more); only refusals are checked, so this one passes unchecked.
    } catch (e) {
      if (e.code !== 'decode') fail(`good ${i}: truncated bytes threw ${e.message} without code decode`);
    }
  }
}

let taken = 0;
for (const [i, m] of mutated.entries()) {
  let got = null;
  let error = null;
  try {
    got = hex(encode(m.game, m.kind, m.json));
  } catch (e) {
    error = e;
  }
  if (m.bytes === null) {
    if (error === null) fail(`mutated ${i}: serde_json refused ${canon(m.json)}, the codec took it as ${got}`);
    else if (error.code !== 'decode' || !/could not decode the/.test(error.message)) fail(`mutated ${i}: ${error.message} (code ${error.code})`);
  } else {
    taken++;
    const want = hex(Uint8Array.from(m.bytes));
    if (error !== null && m.extra && /unknown field/.test(error.message)) continue;
    if (error !== null) fail(`mutated ${i}: serde_json took ${canon(m.json)}, the codec refused it: ${error.message}`);
    else if (got !== want && !(m.kind === 0 && canon(decode(m.game, 0, Uint8Array.from(m.bytes))) === canon(decode(m.game, 0, Buffer.from(got, 'hex'))))) {
      fail(`mutated ${i}: ${canon(m.json)} encoded ${got}, serde_json ${want}`);
    }
  }
}
// Whether the codec could generate code here (it falls back to general code where not).
let generated = true;
try {
  new Function('');
} catch {
  generated = false;
}
console.log(`codec: ${good.length} values, ${mutated.length} mutated (${taken} taken by serde_json), generated code: ${generated ? 'yes' : 'no'}, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);

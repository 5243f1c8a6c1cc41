// Game values between postcard (what the module's Rust code and the protocol carry) and
// their JSON form as plain JS values (what serde_json makes of the same Rust types, so what
// pages, the protocol's JSON and the golden vectors use), driven by the shapes a native build
// traced from the games' types (`Catalog::shapes`, written by `hearth_wasm_build` and handed
// over by `install`). Doing this here instead of in Rust keeps serde_json and a second
// serde implementation per game type out of the Wasm module (a third of its code).
//
// It takes what serde_json takes for the same types, except (docs/reference.md): a field
// the type does not have is refused (as `#[serde(deny_unknown_fields)]` does, which the
// shapes cannot tell), and a field left out is refused unless its type is an option (null)
// or its struct is the game's config or action type with `#[serde(default)]` (the shapes
// carry what `{}` reads as for those two; field-level defaults are not seen). Errors are JS `Error`s with `code: 'decode'` and the rules' wording.

/** One entry per game, in catalog order: its compiled encoders and decoders by kind. */
const games = [];
const KINDS = ['config', 'action', 'actions', 'events', 'view'];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What went wrong inside a value (and where: `path`); not an `Error`, so no stack is taken. */
class Bad {
  constructor(message) {
    this.message = message;
    this.path = undefined;
    this.what = 'value';
    this.from = 'JSON';
  }
  /** This, as a failure of a `what` (a kind) read from `from` (JSON or postcard). */
  within(what, from) {
    this.what = what;
    this.from = from;
    return this;
  }
}

/** The module's memory, so values cross as a pointer and a length instead of a view. */
let memory = null;
let heap = new Uint8Array(0);

/** The module's memory as bytes (a new view after it grew: the old one is detached). */
function bytesOfMemory() {
  if (heap.byteLength === 0) heap = new Uint8Array(memory.buffer);
  return heap;
}

/** Installs the shapes (JSON text: an array of games in catalog order) and the memory. */
export function install(text, wasmMemory) {
  memory = wasmMemory ?? null;
  games.length = 0;
  for (const shapes of JSON.parse(text)) games.push(compileGame(shapes));
}

/** One writer for every encoding: its bytes are copied into Wasm before the next call. */
let shared = null;
/** One reader for every decoding (nothing inside a decode decodes again). */
let reader = null;

/**
 * Why the last `encodeInto` or `decodeOr` failed, for `takeFailure` or `takeFailureMessage`:
 * a `Bad` (with the kind and encoding it was read as), or what else was thrown. They return a
 * sentinel instead of throwing: a throw through wasm-bindgen's `catch` glue costs a closure,
 * an `arguments` object and an externref for every call, failing or not. The `Error` is made
 * only when asked for: with its stack it costs more than the rest of a step (`tryApply`
 * asks for the message alone).
 */
let failure = null;

/** The `Error` (with a `code`) of the last failed `encodeInto` or `decodeOr` (once). */
export function takeFailure() {
  const f = failure;
  failure = null;
  return f instanceof Bad ? decodeError(f) : f;
}

/** `takeFailure`'s message alone: no `Error` and no stack are made. */
export function takeFailureMessage() {
  const f = failure;
  failure = null;
  if (f instanceof Bad) return decodeMessage(f);
  return f instanceof Error ? f.message : String(f);
}

/** A value of `kind` into the shared writer: its length, or -1 (`failure` says why). */
function encodeShared(game, kind, value) {
  const w = (shared ??= new Writer());
  w.len = 0;
  try {
    if (kind === 0 && isDefaultConfig(value)) return 0;
    games[game].enc[kind](w, value);
  } catch (e) {
    failure = e instanceof Bad ? e.within(KINDS[kind], 'JSON') : e;
    return -1;
  }
  return w.len;
}

/** The shared writer's bytes into the module's memory at `ptr`. */
function copyOut(ptr) {
  const h = bytesOfMemory();
  const { buf, len } = shared;
  // A loop beats making a subarray for the few bytes of an action.
  if (len <= 64) for (let i = 0; i < len; i++) h[ptr + i] = buf[i];
  else h.set(buf.subarray(0, len), ptr);
}

/**
 * A value of `kind` (index into KINDS) of game `game` (catalog index) as postcard bytes,
 * written straight into the module's memory at `ptr` when they fit in `room` bytes. Returns
 * their length (more than `room`: call `copyEncoded` with room for them), or -1 when the
 * value is not of that kind (`takeFailure` says why).
 */
export function encodeInto(game, kind, value, ptr, room) {
  const n = encodeShared(game, kind, value);
  if (n > 0 && n <= room) copyOut(ptr);
  return n;
}

/** The bytes of the last `encodeInto` that did not fit, into the module's memory at `ptr`. */
export function copyEncoded(ptr) {
  copyOut(ptr);
}

/**
 * The `len` postcard bytes at `ptr` in the module's memory, a value of `kind` of game
 * `game`, as its JSON form; `undefined` when they do not decode (`takeFailure` says why).
 */
export function decodeOr(game, kind, ptr, len) {
  return decodeFrom(game, kind, bytesOfMemory(), ptr, ptr + len);
}

function decodeFrom(game, kind, bytes, start, end) {
  const g = games[game];
  const r = (reader ??= new Reader(bytes, start, end));
  r.b = bytes;
  r.i = start;
  r.end = end;
  try {
    if (kind === 0 && end === start) return structuredClone(g.defaultConfig);
    const value = g.dec[kind](r);
    if (r.i !== end) throw new Bad(`${end - r.i} unexpected bytes after the value`);
    return value;
  } catch (e) {
    failure = e instanceof Bad ? e.within(KINDS[kind], 'postcard') : e;
    return undefined;
  }
}

/** `encodeInto` as a function that returns the bytes (a copy) or throws (the codec's tests). */
export function encode(game, kind, value) {
  const n = encodeShared(game, kind, value);
  if (n < 0) throw takeFailure();
  return shared.buf.slice(0, n);
}

/** `decodeOr` as a function that throws (the codec's tests). */
export function decode(game, kind, bytes) {
  const value = decodeFrom(game, kind, bytes, 0, bytes.length);
  if (value === undefined) throw takeFailure();
  return value;
}

/**
 * A match record's log (`[{index, tick, seat, action}]`) as one buffer for `Session.replay`,
 * so a whole game crosses into Wasm at once: per entry the index and tick (varints), the seat
 * (a byte), then the action's postcard bytes, their length first.
 */
export function encodeLog(game, log) {
  if (!Array.isArray(log)) throw coded('decode', 'the log is not an array of {index, tick, seat, action}');
  const g = games[game];
  const w = new Writer();
  const a = new Writer();
  const whole = (x) => Number.isSafeInteger(x) && x >= 0;
  for (let i = 0; i < log.length; i++) {
    const e = log[i];
    if (!isObject(e) || !whole(e.index) || !whole(e.tick) || !whole(e.seat) || e.seat > 255) {
      throw coded('decode', `log entry ${i} lacks a whole index, tick or seat`);
    }
    a.len = 0;
    try {
      g.enc[1](a, e.action);
    } catch (err) {
      if (!(err instanceof Bad)) throw err;
      throw coded('replay', `log entry ${e.index} cannot be replayed: ${decodeMessage(err.within('action', 'JSON'))}`);
    }
    w.uvar(e.index);
    w.uvar(e.tick);
    w.byte(e.seat);
    w.uvar(a.len);
    w.bytes(a.buf.subarray(0, a.len));
  }
  return w.finish();
}

function coded(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/**
 * A refusal by the rules (not your turn, an illegal move…) as the `Error` `apply` throws. No
 * stack is taken: V8 would capture one for every refused move, and it would only point into
 * this module's glue.
 */
export function refusal(code, message) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err = new Error(message);
  Error.stackTraceLimit = limit;
  err.code = code;
  return err;
}

function isDefaultConfig(v) {
  return v === null || v === undefined
    || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

/** A failed value's `Error` (code `decode`). */
function decodeError(bad) {
  return coded('decode', decodeMessage(bad));
}

function decodeMessage(bad) {
  const path = bad.path ? `${bad.path.join('.')}: ` : '';
  return `could not decode the ${bad.what} from ${bad.from}: ${path}${bad.message}; send it in the shape documented for this game`;
}

/** `e`, with `name` put in front of its path (where in the value it went wrong). */
function at(name, e) {
  if (e instanceof Bad) (e.path ??= []).unshift(name);
  return e;
}

// ---------------------------------------------------------------- postcard bytes

class Writer {
  constructor() {
    this.buf = new Uint8Array(32);
    this.len = 0;
  }
  room(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b) {
    this.room(1);
    this.buf[this.len++] = b;
  }
  bytes(a) {
    this.room(a.length);
    this.buf.set(a, this.len);
    this.len += a.length;
  }
  /** A string as postcard writes it: its length in UTF-8, then those bytes. */
  str(v) {
    const n = v.length;
    if (n < 128) {
      // Short ASCII (most names, words and clues) is copied a code unit at a time: the
      // encoder would make an array for every string.
      this.room(n + 1);
      const buf = this.buf;
      const at = this.len + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 128) break;
        buf[at + i] = c;
      }
      if (i === n) {
        buf[this.len] = n;
        this.len = at + n;
        return;
      }
    }
    const b = utf8.encode(v);
    this.uvar(b.length);
    this.bytes(b);
  }
  /** A varint of a whole number ≥ 0 (a number or a BigInt). */
  uvar(n) {
    if (typeof n === 'number' && n <= Number.MAX_SAFE_INTEGER) {
      while (n >= 128) {
        this.byte((n % 128) | 128);
        n = Math.floor(n / 128);
      }
      this.byte(n);
      return;
    }
    let b = BigInt(n);
    while (b >= 128n) {
      this.byte(Number(b & 127n) | 128);
      b >>= 7n;
    }
    this.byte(Number(b));
  }
  /** The bytes written: a view (the caller copies them into Wasm memory anyway). */
  finish() {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads `b` from `i` up to `end` (a value's bytes inside the module's memory). */
class Reader {
  constructor(bytes, start, end) {
    this.b = bytes;
    this.i = start;
    this.end = end;
  }
  byte() {
    if (this.i >= this.end) throw new Bad('the bytes end in the middle of the value');
    return this.b[this.i++];
  }
  take(n) {
    if (this.i + n > this.end) throw new Bad('the bytes end in the middle of the value');
    const s = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return s;
  }
  /** A string (its length in bytes, then UTF-8). */
  str() {
    const n = this.length();
    if (this.i + n > this.end) throw new Bad('the bytes end in the middle of the value');
    if (n <= 32) {
      // Short ASCII is read a byte at a time: the decoder would need a view of the bytes.
      const b = this.b;
      const at = this.i;
      let s = '';
      let k = 0;
      for (; k < n; k++) {
        const c = b[at + k];
        if (c >= 128) break;
        s += String.fromCharCode(c);
      }
      if (k === n) {
        this.i += n;
        return s;
      }
    }
    try {
      return fromUtf8.decode(this.take(n));
    } catch {
      throw new Bad('a string is not UTF-8');
    }
  }
  /** A varint: a number while exact, else a BigInt. */
  uvar() {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 127) * mul;
      if (b < 128) return n;
      mul *= 128;
      if (mul >= 2 ** 49) return this.uvarBig(n, mul);
    }
  }
  uvarBig(n, mul) {
    let big = BigInt(n);
    let m = BigInt(mul);
    for (let k = 0; k < 19; k++) {
      const b = this.byte();
      big += BigInt(b & 127) * m;
      if (b < 128) return big;
      m <<= 7n;
    }
    throw new Bad('a varint is longer than 19 bytes');
  }
  length() {
    const n = this.uvar();
    // Elements of no bytes (units) make lists longer than their bytes, but not by millions:
    // a damaged length is refused before a loop tries to fill it.
    if (typeof n !== 'number' || n > this.end - this.i + 1e6) {
      throw new Bad(`a length of ${n} is more than the bytes hold`);
    }
    return n;
  }
}

// ---------------------------------------------------------------- compiling shapes

function compileGame(shapes) {
  const enc = new Map();
  const dec = new Map();
  const named = (name) => {
    const shape = shapes.types[name];
    if (!shape) throw new Error(`hearth: the shapes name no type ${name}; rebuild the module`);
    return shape;
  };
  // Named types compile once and lazily, so recursive types work.
  const encOf = (t) => {
    if (typeof t === 'string') return encPrimitive(t);
    switch (t[0]) {
      case 'type': {
        // Compiled on first use (so recursive types work), then called directly.
        const name = t[1];
        let f = null;
        return (w, v) => {
          if (f === null) {
            f = enc.get(name);
            if (!f) {
              f = encContainer(named(name), encOf, fill[name]);
              enc.set(name, f);
            }
          }
          return f(w, v);
        };
      }
      case 'option': {
        const inner = encOf(t[1]);
        return (w, v) => {
          if (v === null || v === undefined) w.byte(0);
          else {
            w.byte(1);
            inner(w, v);
          }
        };
      }
      case 'seq': {
        const inner = encOf(t[1]);
        return (w, v) => {
          if (!Array.isArray(v)) throw new Bad(`expected an array, got ${show(v)}`);
          w.uvar(v.length);
          for (let i = 0; i < v.length; i++) {
            try {
              inner(w, v[i]);
            } catch (e) {
              throw at(i, e);
            }
          }
        };
      }
      case 'map': {
        const key = encKey(t[1], shapes);
        const value = encOf(t[2]);
        return (w, v) => {
          if (!isObject(v)) throw new Bad(`expected an object, got ${show(v)}`);
          const keys = Object.keys(v).filter((k) => v[k] !== undefined);
          w.uvar(keys.length);
          for (const k of keys) {
            try {
              key(w, k);
              value(w, v[k]);
            } catch (e) {
              throw at(k, e);
            }
          }
        };
      }
      case 'tuple':
        return encTuple(t[1].map(encOf));
      case 'array': {
        const inner = encOf(t[1]);
        const n = t[2];
        return (w, v) => {
          if (!Array.isArray(v) || v.length !== n) throw new Bad(`expected an array of ${n}, got ${show(v)}`);
          for (let i = 0; i < n; i++) {
            try {
              inner(w, v[i]);
            } catch (e) {
              throw at(i, e);
            }
          }
        };
      }
      default:
        throw new Error(`hearth: unknown shape ${JSON.stringify(t)}; rebuild the module`);
    }
  };
  const decOf = (t) => {
    if (typeof t === 'string') return decPrimitive(t);
    switch (t[0]) {
      case 'type': {
        const name = t[1];
        let f = null;
        return (r) => {
          if (f === null) {
            f = dec.get(name);
            if (!f) {
              f = decContainer(named(name), decOf);
              dec.set(name, f);
            }
          }
          return f(r);
        };
      }
      case 'option': {
        const inner = decOf(t[1]);
        return (r) => {
          const tag = r.byte();
          if (tag === 0) return null;
          if (tag === 1) return inner(r);
          throw new Bad(`an option's tag is ${tag}, not 0 or 1`);
        };
      }
      case 'seq': {
        const inner = decOf(t[1]);
        return (r) => {
          const n = r.length();
          const out = [];
          for (let i = 0; i < n; i++) out.push(inner(r));
          return out;
        };
      }
      case 'map': {
        const key = decKey(t[1], shapes);
        const value = decOf(t[2]);
        return (r) => {
          const n = r.length();
          const out = {};
          for (let i = 0; i < n; i++) {
            const k = key(r);
            out[k] = value(r);
          }
          return out;
        };
      }
      case 'tuple': {
        const items = t[1].map(decOf);
        return (r) => items.map((f) => f(r));
      }
      case 'array': {
        const inner = decOf(t[1]);
        const n = t[2];
        return (r) => {
          const out = [];
          for (let i = 0; i < n; i++) out.push(inner(r));
          return out;
        };
      }
      default:
        throw new Error(`hearth: unknown shape ${JSON.stringify(t)}; rebuild the module`);
    }
  };
  const fill = shapes.fill ?? {};
  const roots = [shapes.config, shapes.action, ['seq', shapes.action], ['seq', shapes.event], shapes.view];
  return {
    enc: roots.map(encOf),
    dec: roots.map(decOf),
    defaultConfig: shapes.default_config,
  };
}

function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v) {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `${v}`;
  try {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 37)}...` : s;
  } catch {
    return String(v);
  }
}

function encTuple(items) {
  return (w, v) => {
    if (!Array.isArray(v) || v.length !== items.length) {
      throw new Bad(`expected an array of ${items.length}, got ${show(v)}`);
    }
    for (let i = 0; i < items.length; i++) {
      try {
        items[i](w, v[i]);
      } catch (e) {
        throw at(i, e);
      }
    }
  };
}

/**
 * A struct's fields from a JS object (or an array of them in order, as serde takes too);
 * `fill` is what `{}` reads as for a type whose left-out fields take defaults.
 */
function encFields(fields, encOf, fill) {
  const compiled = fields.map(([name, t]) => [name, encOf(t), typeof t !== 'string' && t[0] === 'option']);
  const known = new Set(fields.map(([name]) => name));
  const general = (w, v) => {
    if (Array.isArray(v)) {
      if (v.length > fields.length || (v.length < fields.length && fill === undefined)) {
        throw new Bad(`expected an object, or an array of ${fields.length}, got ${show(v)}`);
      }
      for (let i = 0; i < compiled.length; i++) {
        const [name, f] = compiled[i];
        try {
          f(w, i < v.length ? v[i] : fill[name]);
        } catch (e) {
          throw at(name, e);
        }
      }
      return;
    }
    if (!isObject(v)) throw new Bad(`expected an object, got ${show(v)}`);
    // A plain object's unknown fields are looked for only when it has more keys than the
    // fields it gave (usually it has not): a walk over every key with a set lookup each is
    // slower. Other objects (their keys may be inherited) are always walked.
    let given = 0;
    for (let i = 0; i < compiled.length; i++) {
      if (v[compiled[i][0]] !== undefined) given++;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype || Object.keys(v).length !== given) {
      for (const k in v) {
        if (v[k] === undefined) continue;
        if (!known.has(k)) {
          throw new Bad(`unknown field \`${k}\`, expected ${fields.length ? fields.map(([n]) => `\`${n}\``).join(', ') : 'none'}`);
        }
      }
    }
    for (let i = 0; i < compiled.length; i++) {
      const [name, f, optional] = compiled[i];
      let x = v[name];
      if (x === undefined) {
        if (fill !== undefined) x = fill[name];
        else if (!optional) throw at(name, new Bad('missing field'));
      }
      try {
        f(w, x);
      } catch (e) {
        throw at(name, e);
      }
    }
  };
  const fast = everyFieldGiven(fields.map(([name]) => name));
  return fast ? fast(general, ...compiled.map(([, f]) => f)) : general;
}

/**
 * For a plain object that gives every field and nothing else (what pages send), the fields
 * encoded straight from generated code, with no key walk and no bookkeeping per field;
 * anything else, or anything that fails (so that the error names its field), goes to
 * `general` from where it started. `null` where the page forbids making code (see
 * `objectLiteral`); `general` alone then.
 */
function everyFieldGiven(names) {
  if (!mayGenerate() || names.length === 0 || names.includes('__proto__')) return null;
  const params = names.map((_, i) => `f${i}`);
  const reads = names.map((n, i) => `x${i} = v[${JSON.stringify(n)}]`).join(', ');
  const given = names.map((_, i) => `x${i} !== undefined`).join(' && ');
  const writes = names.map((_, i) => `f${i}(w, x${i});`).join(' ');
  const body = `return (w, v) => {
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const ${reads};
      if (${given} && Object.keys(v).length === ${names.length}) {
        const mark = w.len;
        try { ${writes} return; } catch { w.len = mark; }
      }
    }
    general(w, v);
  };`;
  try {
    return new Function('general', ...params, body);
  } catch {
    return null;
  }
}

function decFields(fields, decOf) {
  const names = fields.map(([name]) => name);
  const decoders = fields.map(([, t]) => decOf(t));
  const literal = objectLiteral(names);
  if (literal) return literal(...decoders);
  return (r) => {
    const out = {};
    for (let i = 0; i < names.length; i++) out[names[i]] = decoders[i](r);
    return out;
  };
}

/** Whether this page lets the codec make code (asked once, not once per type). */
let generate = null;

function mayGenerate() {
  if (generate === null) {
    try {
      generate = typeof new Function('return 1') === 'function';
    } catch {
      // A Content-Security-Policy without 'unsafe-eval': the browser reports the refusal
      // once, here, instead of for every type.
      generate = false;
    }
  }
  return generate;
}

/**
 * `(f0, f1, …) => (r) => ({name0: f0(r), name1: f1(r), …})`, made with `new Function`: an
 * object literal gives every decoded value of a type one shape from the start, which V8
 * reads and builds much faster than an object grown a property at a time. `null` where the
 * page forbids making code (a Content-Security-Policy without 'unsafe-eval'), or for a name
 * a literal would not make an own property of; the callers then loop.
 */
function objectLiteral(names) {
  if (!mayGenerate() || names.includes('__proto__')) return null;
  const params = names.map((_, i) => `f${i}`);
  const props = names.map((n, i) => `${JSON.stringify(n)}: f${i}(r)`).join(', ');
  try {
    return new Function(...params, `return (r) => ({${props}});`);
  } catch {
    return null;
  }
}

function encContainer(c, encOf, fill) {
  switch (c[0]) {
    case 'unit':
      return (w, v) => {
        if (v !== null) throw new Bad(`expected null, got ${show(v)}`);
      };
    case 'newtype':
      return encOf(c[1]);
    case 'tuple':
      return encTuple(c[1].map(encOf));
    case 'struct':
      return encFields(c[1], encOf, fill);
    case 'enum': {
      const variants = new Map();
      c[1].forEach(([name, content], index) => {
        variants.set(name, [index, content[0] === 'unit' ? null : encContainer(content, encOf)]);
      });
      const names = () => c[1].map(([n]) => n).join(', ');
      return (w, v) => {
        let name;
        let content;
        if (typeof v === 'string') {
          name = v;
        } else if (isObject(v) && Object.keys(v).length === 1) {
          name = Object.keys(v)[0];
          content = v[name];
        } else {
          throw new Bad(`expected one of ${names()} (a string, or an object with one key), got ${show(v)}`);
        }
        const variant = variants.get(name);
        if (!variant) throw new Bad(`unknown variant \`${name}\`, expected one of ${names()}`);
        const [index, f] = variant;
        w.uvar(index);
        if (f === null) {
          if (content !== undefined && content !== null) throw new Bad(`\`${name}\` takes no value`);
        } else {
          if (typeof v === 'string') throw new Bad(`\`${name}\` needs a value: {"${name}": ...}`);
          try {
            f(w, content);
          } catch (e) {
            throw at(name, e);
          }
        }
      };
    }
    default:
      throw new Error(`hearth: unknown type shape ${JSON.stringify(c)}; rebuild the module`);
  }
}

function decContainer(c, decOf) {
  switch (c[0]) {
    case 'unit':
      return () => null;
    case 'newtype':
      return decOf(c[1]);
    case 'tuple': {
      const items = c[1].map(decOf);
      return (r) => items.map((f) => f(r));
    }
    case 'struct':
      return decFields(c[1], decOf);
    case 'enum': {
      // A unit variant decodes to its name, another to `{name: content}`.
      const variants = c[1].map(([name, content]) => {
        if (content[0] === 'unit') return name;
        const f = decContainer(content, decOf);
        const literal = objectLiteral([name]);
        return literal ? literal(f) : (r) => ({ [name]: f(r) });
      });
      return (r) => {
        const index = r.uvar();
        if (index >= variants.length) throw new Bad(`variant index ${index} is not one of the ${variants.length}`);
        const v = variants[index];
        return typeof v === 'string' ? v : v(r);
      };
    }
    default:
      throw new Error(`hearth: unknown type shape ${JSON.stringify(c)}; rebuild the module`);
  }
}

// ---------------------------------------------------------------- map keys

// serde_json writes map keys as strings: integers in decimal, chars and strings as they are,
// booleans as "true"/"false", unit variants by name.
function keyShape(t, shapes) {
  if (typeof t !== 'string' && t[0] === 'type') {
    const c = shapes.types[t[1]];
    if (c && c[0] === 'newtype') return keyShape(c[1], shapes);
    if (c && c[0] === 'enum' && c[1].every(([, content]) => content[0] === 'unit')) return c;
  }
  return t;
}

function encKey(t, shapes) {
  const k = keyShape(t, shapes);
  if (typeof k !== 'string') {
    if (k[0] === 'enum') {
      const index = new Map(k[1].map(([name], i) => [name, i]));
      return (w, key) => {
        if (!index.has(key)) throw new Bad(`unknown key \`${key}\``);
        w.uvar(index.get(key));
      };
    }
    throw new Error('hearth: a map key that JSON cannot carry; rebuild the module');
  }
  const value = encPrimitive(k);
  if (k === 'str' || k === 'char') return value;
  if (k === 'bool') {
    return (w, key) => {
      if (key !== 'true' && key !== 'false') throw new Bad(`key \`${key}\` is not true or false`);
      value(w, key === 'true');
    };
  }
  return (w, key) => {
    if (!/^-?\d+$/.test(key)) throw new Bad(`key \`${key}\` is not a whole number`);
    const n = Number(key);
    value(w, Number.isSafeInteger(n) ? n : BigInt(key));
  };
}

function decKey(t, shapes) {
  const k = keyShape(t, shapes);
  if (typeof k !== 'string') {
    const names = k[1].map(([name]) => name);
    return (r) => {
      const i = r.uvar();
      if (i >= names.length) throw new Bad(`variant index ${i} is not one of the ${names.length}`);
      return names[i];
    };
  }
  const value = decPrimitive(k);
  return (r) => String(value(r));
}

// ---------------------------------------------------------------- primitives

const RANGES = {
  u8: [0, 255],
  i8: [-128, 127],
  u16: [0, 65535],
  i16: [-32768, 32767],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
  u64: [0n, 2n ** 64n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u128: [0n, 2n ** 128n - 1n],
  i128: [-(2n ** 127n), 2n ** 127n - 1n],
};

function whole(t, v) {
  const [lo, hi] = RANGES[t];
  let ok;
  if (typeof v === 'number') ok = Number.isInteger(v) && v >= Number(lo) && v <= Number(hi);
  else if (typeof v === 'bigint') ok = v >= BigInt(lo) && v <= BigInt(hi);
  else ok = false;
  if (!ok) throw new Bad(`expected a whole number from ${lo} to ${hi} (${t}), got ${show(v)}`);
  return typeof v === 'number' && !Number.isSafeInteger(v) ? BigInt(v) : v;
}

/**
 * `whole` with the common case first: a small integer in range (for types up to 32 bits,
 * whose bounds are plain numbers) is checked without a table lookup.
 */
function wholeOf(t) {
  const [lo, hi] = RANGES[t];
  if (typeof lo !== 'number') return (v) => whole(t, v);
  return (v) => (Number.isInteger(v) && v >= lo && v <= hi ? v : whole(t, v));
}

function encPrimitive(t) {
  switch (t) {
    case 'unit':
      return (w, v) => {
        if (v !== null) throw new Bad(`expected null, got ${show(v)}`);
      };
    case 'bool':
      return (w, v) => {
        if (typeof v !== 'boolean') throw new Bad(`expected true or false, got ${show(v)}`);
        w.byte(v ? 1 : 0);
      };
    case 'u8': {
      const check = wholeOf(t);
      return (w, v) => w.byte(check(v));
    }
    case 'i8': {
      const check = wholeOf(t);
      return (w, v) => w.byte(check(v) & 255);
    }
    case 'u16':
    case 'u32':
    case 'u64':
    case 'u128': {
      const check = wholeOf(t);
      return (w, v) => w.uvar(check(v));
    }
    case 'i16':
    case 'i32':
    case 'i64':
    case 'i128': {
      const check = wholeOf(t);
      return (w, v) => {
        const n = check(v);
        if (typeof n === 'number') w.uvar(n >= 0 ? 2 * n : -2 * n - 1);
        else w.uvar(n >= 0n ? 2n * n : -2n * n - 1n);
      };
    }
    case 'f32':
    case 'f64': {
      const size = t === 'f32' ? 4 : 8;
      return (w, v) => {
        if (typeof v !== 'number') throw new Bad(`expected a number, got ${show(v)}`);
        const b = new Uint8Array(size);
        const view = new DataView(b.buffer);
        if (size === 4) view.setFloat32(0, v, true);
        else view.setFloat64(0, v, true);
        w.bytes(b);
      };
    }
    case 'char':
      return (w, v) => {
        if (typeof v !== 'string' || [...v].length !== 1) throw new Bad(`expected one character, got ${show(v)}`);
        w.str(v);
      };
    case 'str':
      return (w, v) => {
        if (typeof v !== 'string') throw new Bad(`expected a string, got ${show(v)}`);
        w.str(v);
      };
    case 'bytes':
      return (w, v) => {
        if (!Array.isArray(v) && !(v instanceof Uint8Array)) throw new Bad(`expected an array of bytes, got ${show(v)}`);
        const b = Uint8Array.from(v, (x) => whole('u8', x));
        w.uvar(b.length);
        w.bytes(b);
      };
    default:
      throw new Error(`hearth: unknown primitive ${t}; rebuild the module`);
  }
}

function decPrimitive(t) {
  switch (t) {
    case 'unit':
      return () => null;
    case 'bool':
      return (r) => {
        const b = r.byte();
        if (b > 1) throw new Bad(`a bool is ${b}, not 0 or 1`);
        return b === 1;
      };
    case 'u8':
      return (r) => r.byte();
    case 'i8':
      return (r) => (r.byte() << 24) >> 24;
    case 'u16':
    case 'u32':
    case 'u64':
    case 'u128':
      return (r) => Number(r.uvar());
    case 'i16':
    case 'i32':
    case 'i64':
    case 'i128':
      return (r) => {
        const z = r.uvar();
        if (typeof z === 'number') return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        return Number((z >> 1n) ^ -(z & 1n));
      };
    case 'f32':
      return (r) => shortestF32(new DataView(r.take(4).slice().buffer).getFloat32(0, true));
    case 'f64':
      return (r) => {
        const x = new DataView(r.take(8).slice().buffer).getFloat64(0, true);
        return Number.isFinite(x) ? x : null;
      };
    case 'char':
    case 'str':
      return (r) => r.str();
    case 'bytes':
      return (r) => Array.from(r.take(r.length()));
    default:
      throw new Error(`hearth: unknown primitive ${t}; rebuild the module`);
  }
}

/** An f32 as serde_json writes it: the shortest decimal that reads back as the same f32. */
function shortestF32(x) {
  if (!Number.isFinite(x)) return null;
  for (let p = 1; p < 10; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

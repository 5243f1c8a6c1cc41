#!/usr/bin/env python3
"""Where the bytes of the browser module go: code bytes per crate, from the function names
of a wasm file that still has its `name` section (the cargo output, before wasm-bindgen and
wasm-opt strip it).

    cargo build -p hearth-wasm --target wasm32-unknown-unknown --profile wasm-release
    python3 wasm/bench/function_sizes.py target/wasm32-unknown-unknown/wasm-release/hearth_wasm.wasm
"""
import collections
import sys


def leb(b, i):
    result = shift = 0
    while True:
        byte = b[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def read(path):
    data = open(path, "rb").read()
    i, imported, names, bodies, data_bytes = 8, 0, {}, [], 0
    while i < len(data):
        section = data[i]
        size, i = leb(data, i + 1)
        end = i + size
        if section == 2:  # imports: functions among them shift the indices
            n, j = leb(data, i)
            for _ in range(n):
                for _ in range(2):
                    length, j = leb(data, j)
                    j += length
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:
                    j += 2
        elif section == 10:  # code
            n, j = leb(data, i)
            for _ in range(n):
                length, k = leb(data, j)
                bodies.append(length + (k - j))
                j = k + length
        elif section == 11:
            data_bytes += size
        elif section == 0:
            length, j = leb(data, i)
            if data[j:j + length] == b"name":
                j += length
                while j < end:
                    sub = data[j]
                    sub_size, j = leb(data, j + 1)
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            index, k = leb(data, k)
                            length, k = leb(data, k)
                            names[index] = data[k:k + length].decode("utf8", "replace")
                            k += length
                    j += sub_size
        i = end
    return imported, names, bodies, data_bytes


CRATES = ["serde_reflection", "serde_json", "postcard", "hearth_wasm", "wasm_bindgen", "js_sys",
          "web_sys", "rand_chacha", "xxhash", "dlmalloc", "hearth_rules", "serde_core"]


def main():
    imported, names, bodies, data_bytes = read(sys.argv[1])
    total = sum(bodies)
    print(f"{len(bodies)} functions, {total} code bytes, {data_bytes} data bytes")
    by_crate = collections.Counter()
    for index, size in enumerate(bodies):
        name = names.get(index + imported, "?")
        # The crate named first in the symbol owns it (generic code lands with its caller's
        # type, e.g. serde impls of the rules' types count as hearth_rules).
        hits = [(name.find(c), c) for c in CRATES if c in name]
        crate = min(hits)[1] if hits else ("alloc/core" if ("alloc" in name or "core" in name) else "other")
        by_crate[crate] += size
    for crate, size in by_crate.most_common():
        print(f"{size:9d} {100 * size / total:5.1f}%  {crate}")


if __name__ == "__main__":
    main()

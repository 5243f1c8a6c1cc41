#!/bin/bash
# Usage: scripts/bench-nodes.sh N SCENARIO-ARGS...  e.g. `scripts/bench-nodes.sh 2 turns --clients 32`
# Needs a release `hearth` built with `--features postgres` and `hearth-bench` in target/release
# (`cargo build --release -p hearth-cli --features postgres -p hearth-bench --bins`).
# Starts a private PostgreSQL on 127.0.0.1:55432 (once, kept in /tmp/pgbench; stop it with
# `runuser -u postgres -- pg_ctl -D /tmp/pgbench/data stop`), a fresh database, N nodes on
# loopback, and one generator per node at once; prints each generator's JSON line. BENCHMARKS.md,
# "Several nodes on one PostgreSQL".
set -u
N=$1; shift
BIN=$(cd "$(dirname "$0")/.." && pwd)/target/release
PG=/usr/lib/postgresql/15/bin
D=/tmp/pgbench
if [ ! -f $D/data/PG_VERSION ]; then
  rm -rf $D; mkdir -p $D; chown postgres $D
  runuser -u postgres -- $PG/initdb -D $D/data -A trust -U hearth >/dev/null
  runuser -u postgres -- $PG/pg_ctl -D $D/data -o "-c listen_addresses=127.0.0.1 -p 55432 -k $D" -l $D/log -w start >/dev/null
fi
DB=b$RANDOM$RANDOM
$PG/createdb -h 127.0.0.1 -p 55432 -U hearth $DB
URL=postgres://hearth@127.0.0.1:55432/$DB
pids=()
for i in $(seq 1 $N); do
  port=$((47000 + i))
  RUST_LOG=warn $BIN/hearth serve --bind 127.0.0.1:$port --db $URL --public-url ws://127.0.0.1:$port/ws --sign-ins-per-minute 100000000 --rate-per-sec 100000 >/dev/null 2>/tmp/node$i.log &
  pids+=($!)
done
sleep 2
gens=()
for i in $(seq 1 $N); do
  port=$((47000 + i))
  $BIN/hearth-bench --server 127.0.0.1:$port --server-pid ${pids[$((i-1))]} --seconds 5 "$@" > /tmp/gen$i.json 2>/tmp/gen$i.err &
  gens+=($!)
done
wait ${gens[@]}
for i in $(seq 1 $N); do cat /tmp/gen$i.json; done
kill ${pids[@]}; wait ${pids[@]} 2>/dev/null

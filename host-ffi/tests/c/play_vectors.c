/* Plays golden vectors through libhearth and checks every step's hash, then puts the library
 * through bad input. Reads the vectors flattened to lines (see host-ffi/README.md, "Testing");
 * exits 0 only if everything matched. Built and run by host-ffi/tests/consumers.rs, also under
 * valgrind, and by hearth_tests::c for any game's C library (with --vectors-only: the bad
 * input below names Hearth's example games). Usage: play_vectors FLAT_FILE [--vectors-only] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static int failures = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, " [last error: %s: %s]\n",                     \
                    hearth_last_error_code(), hearth_last_error());        \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* Splits `line` at tabs in place; returns the number of fields (at most `max`). */
static int split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = strlen(hex) / 2;
    if (n > cap) n = cap;
    for (size_t i = 0; i < n; i++) {
        unsigned int b = 0;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (uint8_t)b;
    }
    return n;
}

static int hash_is(uint64_t session, const char *want) {
    uint64_t h = 0;
    if (hearth_hash(session, &h) != HEARTH_OK) return 0;
    char got[17];
    snprintf(got, sizeof got, "%016" PRIx64, h);
    return strcmp(got, want) == 0;
}

/* A growing string for the replay log. */
typedef struct {
    char *s;
    size_t len, cap;
} Str;

static void append(Str *b, const char *text) {
    size_t n = strlen(text);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) { perror("realloc"); exit(2); }
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

typedef struct {
    char name[128], game[64], config[4096], initial[17];
    unsigned seats;
    uint64_t seed;
    uint64_t by_json, by_postcard; /* the same game fed JSON and postcard actions */
    Str log;
    unsigned steps, total_steps, entries;
} Vector;

static void start(Vector *v) {
    CHECK(hearth_session_new(v->game, v->config, (uint8_t)v->seats, v->seed, &v->by_json) == HEARTH_OK,
          "%s: create", v->name);
    CHECK(hearth_session_new(v->game, v->config, (uint8_t)v->seats, v->seed, &v->by_postcard) == HEARTH_OK,
          "%s: create", v->name);
    CHECK(hash_is(v->by_json, v->initial), "%s: initial hash", v->name);
    v->log.len = 0;
    append(&v->log, "[");
    v->steps = 0;
    v->entries = 0;
}

/* Looks at everything a UI would read after a step, and frees it. */
static void look(uint64_t s, unsigned seats) {
    HearthBuf buf;
    for (int viewer = -1; viewer < (int)seats; viewer++) {
        CHECK(hearth_view(s, viewer, HEARTH_JSON, &buf) == HEARTH_OK && buf.len > 0, "view %d", viewer);
        hearth_free(buf.data);
    }
    CHECK(hearth_view(s, 0, HEARTH_POSTCARD, &buf) == HEARTH_OK, "postcard view");
    hearth_free(buf.data);
    CHECK(hearth_legal_actions(s, 0, HEARTH_JSON, &buf) == HEARTH_OK && buf.data[0] == '[', "legal actions");
    hearth_free(buf.data);
}

static void apply(Vector *v, char **f) {
    unsigned seat = (unsigned)strtoul(f[1], NULL, 10);
    const char *error = f[2], *hash = f[3], *postcard_hex = f[4], *action = f[5];
    int want = strcmp(error, "-") == 0 ? HEARTH_OK : HEARTH_REJECTED;
    HearthBuf events = {0};
    int got = hearth_apply(v->by_json, (uint8_t)seat, (const uint8_t *)action, strlen(action), HEARTH_JSON, &events);
    CHECK(got == want, "%s step %u: apply %s for seat %u gave %d, want %d", v->name, v->steps, action, seat, got, want);
    if (want == HEARTH_REJECTED) {
        CHECK(strcmp(hearth_last_error_code(), error) == 0, "%s step %u: refused as %s, want %s",
              v->name, v->steps, hearth_last_error_code(), error);
        CHECK(strlen(hearth_last_error()) > 10, "%s step %u: a refusal says why", v->name, v->steps);
        CHECK(events.data == NULL, "no events for a refused action");
    } else {
        CHECK(events.data != NULL && events.data[0] == '[', "%s step %u: events are a JSON list", v->name, v->steps);
        uint64_t ticks = 0;
        hearth_progress(v->by_json, &ticks, NULL, NULL);
        char entry[64];
        snprintf(entry, sizeof entry, "%s{\"seat\":%u,\"tick\":%" PRIu64 ",\"action\":",
                 v->entries++ ? "," : "", seat, ticks);
        append(&v->log, entry);
        append(&v->log, action);
        append(&v->log, "}");
    }
    CHECK(hearth_free(events.data) == HEARTH_OK, "free events");
    /* The same action as postcard bytes, where it decodes at all. */
    if (strcmp(postcard_hex, "-") != 0) {
        uint8_t bytes[4096];
        size_t n = unhex(postcard_hex, bytes, sizeof bytes);
        got = hearth_apply(v->by_postcard, (uint8_t)seat, bytes, n, HEARTH_POSTCARD, NULL);
    } else {
        got = hearth_apply(v->by_postcard, (uint8_t)seat, (const uint8_t *)action, strlen(action), HEARTH_JSON, NULL);
    }
    CHECK(got == want, "%s step %u: postcard apply gave %d, want %d", v->name, v->steps, got, want);
    CHECK(hash_is(v->by_json, hash), "%s step %u: JSON hash", v->name, v->steps);
    CHECK(hash_is(v->by_postcard, hash), "%s step %u: postcard hash", v->name, v->steps);
}

static void tick(Vector *v, const char *hash) {
    HearthBuf events = {0};
    CHECK(hearth_tick(v->by_json, HEARTH_POSTCARD, &events) == HEARTH_OK, "%s step %u: tick", v->name, v->steps);
    CHECK(hearth_free(events.data) == HEARTH_OK, "free tick events");
    CHECK(hearth_tick(v->by_postcard, HEARTH_JSON, NULL) == HEARTH_OK, "%s step %u: tick", v->name, v->steps);
    CHECK(hash_is(v->by_json, hash) && hash_is(v->by_postcard, hash), "%s step %u: tick hash", v->name, v->steps);
}

/* Halfway: carry on with a session restored from a snapshot of the JSON one. */
static void swap_in_restored(Vector *v) {
    HearthBuf snap;
    uint64_t restored = 0, before = 0, after = 0;
    CHECK(hearth_snapshot(v->by_json, &snap) == HEARTH_OK && snap.len > 0, "%s: snapshot", v->name);
    CHECK(hearth_restore(snap.data, snap.len, &restored) == HEARTH_OK, "%s: restore", v->name);
    hearth_hash(v->by_json, &before);
    hearth_hash(restored, &after);
    CHECK(before == after, "%s: restored hash", v->name);
    CHECK(hearth_free(snap.data) == HEARTH_OK, "free snapshot");
    CHECK(hearth_session_free(v->by_json) == HEARTH_OK, "free session");
    v->by_json = restored;
}

static void finish(Vector *v, const char *outcome) {
    HearthBuf buf;
    CHECK(hearth_outcome(v->by_json, &buf) == HEARTH_OK, "%s: outcome", v->name);
    CHECK(strcmp((const char *)buf.data, outcome) == 0, "%s: outcome %s, want %s", v->name, (const char *)buf.data, outcome);
    hearth_free(buf.data);
    /* Replaying the accepted actions gives the same game. */
    append(&v->log, "]");
    char header[4352];
    snprintf(header, sizeof header, "{\"game\":\"%s\",\"seats\":%u,\"seed\":%" PRIu64 ",\"config\":%s}",
             v->game, v->seats, v->seed, v->config);
    uint64_t replayed = 0, ticks = 0, have = 0, want = 0, got = 0;
    CHECK(hearth_replay(header, v->log.s, &replayed) == HEARTH_OK, "%s: replay", v->name);
    hearth_progress(v->by_json, &ticks, NULL, NULL);
    while (hearth_progress(replayed, &have, NULL, NULL) == HEARTH_OK && have < ticks) {
        if (hearth_tick(replayed, HEARTH_JSON, NULL) != HEARTH_OK) break;
    }
    hearth_hash(v->by_json, &want);
    hearth_hash(replayed, &got);
    CHECK(want == got, "%s: replayed hash %016" PRIx64 ", live %016" PRIx64, v->name, got, want);
    CHECK(hearth_session_free(replayed) == HEARTH_OK, "free replayed");
    CHECK(hearth_session_free(v->by_json) == HEARTH_OK, "free session");
    CHECK(hearth_session_free(v->by_postcard) == HEARTH_OK, "free session");
}

/* Every kind of bad input gets a status and a message, and changes nothing. */
static void bad_input(void) {
    uint64_t s = 0, hash_before = 0, hash_after = 0;
    HearthBuf buf = {0};
    CHECK(hearth_session_new("connect-four", "{\"first_seat\":0}", 2, 42, &s) == HEARTH_OK, "create");
    hearth_hash(s, &hash_before);

    CHECK(hearth_session_new("\xff\xfe", NULL, 2, 1, &s) == HEARTH_ERR_UTF8, "invalid UTF-8 name");
    CHECK(strcmp(hearth_last_error_code(), "utf8") == 0 && strlen(hearth_last_error()) > 0, "utf8 message");
    uint64_t other = 0;
    CHECK(hearth_session_new("no-such-game", NULL, 2, 1, &other) == HEARTH_ERR_INVALID, "unknown game");
    CHECK(strcmp(hearth_last_error_code(), "unknown_game") == 0, "unknown game code");
    CHECK(strstr(hearth_last_error(), "connect-four") != NULL, "the message lists the games");
    CHECK(hearth_session_new("connect-four", "{\"first_seat\":", 2, 1, &other) == HEARTH_ERR_INVALID, "malformed config");
    CHECK(hearth_session_new("connect-four", NULL, 9, 1, &other) == HEARTH_ERR_INVALID, "seat count");
    CHECK(hearth_session_new(NULL, NULL, 2, 1, &other) == HEARTH_ERR_NULL, "null name");
    CHECK(hearth_session_new("connect-four", NULL, 2, 1, NULL) == HEARTH_ERR_NULL, "null out");

    const char *malformed = "{\"column\":";
    CHECK(hearth_apply(s, 0, (const uint8_t *)malformed, strlen(malformed), HEARTH_JSON, &buf) == HEARTH_REJECTED, "malformed JSON action");
    CHECK(strcmp(hearth_last_error_code(), "decode") == 0, "malformed JSON is `decode`");
    const uint8_t not_utf8[] = {'{', 0xff, '}'};
    CHECK(hearth_apply(s, 0, not_utf8, sizeof not_utf8, HEARTH_JSON, &buf) == HEARTH_REJECTED, "non-UTF-8 action");
    const uint8_t bad_postcard[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK(hearth_apply(s, 0, bad_postcard, sizeof bad_postcard, HEARTH_POSTCARD, &buf) == HEARTH_REJECTED, "malformed postcard");
    CHECK(strcmp(hearth_last_error_code(), "decode") == 0, "malformed postcard is `decode`");
    const char *move = "{\"column\":3}";
    CHECK(hearth_apply(s, 7, (const uint8_t *)move, strlen(move), HEARTH_JSON, &buf) == HEARTH_REJECTED, "wrong seat");
    CHECK(strcmp(hearth_last_error_code(), "no_such_seat") == 0, "wrong seat code");
    CHECK(hearth_apply(s, 1, (const uint8_t *)move, strlen(move), HEARTH_JSON, &buf) == HEARTH_REJECTED, "out of turn");
    CHECK(hearth_apply(s, 0, NULL, 5, HEARTH_JSON, &buf) == HEARTH_ERR_NULL, "null action");
    CHECK(hearth_apply(s, 0, (const uint8_t *)move, strlen(move), 7, &buf) == HEARTH_ERR_INVALID, "unknown encoding");
    CHECK(buf.data == NULL, "nothing handed out on failure");
    CHECK(hearth_view(s, 300, HEARTH_JSON, &buf) == HEARTH_ERR_INVALID, "viewer out of range");
    CHECK(hearth_view(s, -1, HEARTH_JSON, NULL) == HEARTH_ERR_NULL, "null out buffer");
    CHECK(hearth_restore(bad_postcard, sizeof bad_postcard, &other) == HEARTH_ERR_INVALID, "damaged snapshot");
    CHECK(hearth_replay("{\"game\":\"connect-four\",\"seats\":2,\"seed\":1,\"config\":null}",
                        "[{\"seat\":1,\"tick\":0,\"action\":{\"column\":0}}]", &other) == HEARTH_ERR_INVALID,
          "a log the rules refuse");
    CHECK(hearth_replay("{}", "[]", &other) == HEARTH_ERR_INVALID, "a header without a game");
    hearth_hash(s, &hash_after);
    CHECK(hash_before == hash_after, "bad input changed nothing");

    /* Handles: use after free, double free, foreign values. */
    CHECK(hearth_session_free(s) == HEARTH_OK, "free");
    CHECK(hearth_apply(s, 0, (const uint8_t *)move, strlen(move), HEARTH_JSON, NULL) == HEARTH_ERR_BAD_HANDLE, "use after free");
    CHECK(strcmp(hearth_last_error_code(), "bad_handle") == 0, "bad handle code");
    CHECK(hearth_session_free(s) == HEARTH_ERR_BAD_HANDLE, "double free of a session");
    CHECK(hearth_hash(0x1234, &hash_after) == HEARTH_ERR_BAD_HANDLE, "foreign handle");

    /* Buffers: double free and foreign pointers are reported, not freed. */
    CHECK(hearth_games(&buf) == HEARTH_OK && strstr((const char *)buf.data, "\"fingerprint\"") != NULL, "games");
    CHECK(hearth_free(buf.data) == HEARTH_OK, "free");
    CHECK(hearth_free(buf.data) == HEARTH_ERR_BAD_BUFFER, "double free of a buffer");
    char local[8];
    CHECK(hearth_free((uint8_t *)local) == HEARTH_ERR_BAD_BUFFER, "foreign buffer");
    CHECK(hearth_free(NULL) == HEARTH_OK, "free(NULL)");
    CHECK(strlen(hearth_version()) > 0, "version");
}

int main(int argc, char **argv) {
    int vectors_only = argc == 3 && strcmp(argv[2], "--vectors-only") == 0;
    if (argc != 2 && !vectors_only) {
        fprintf(stderr, "usage: %s FLAT_VECTORS [--vectors-only]\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) { perror(argv[1]); return 2; }
    static char line[1 << 16];
    char *f[8];
    Vector v = {0};
    unsigned vectors = 0, steps = 0, apply_at = 0;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        int n = split(line, f, 8);
        if (strcmp(f[0], "vector") == 0 && n == 3) {
            snprintf(v.name, sizeof v.name, "%s", f[1]);
            v.total_steps = (unsigned)strtoul(f[2], NULL, 10);
        } else if (strcmp(f[0], "game") == 0 && n == 2) {
            snprintf(v.game, sizeof v.game, "%s", f[1]);
        } else if (strcmp(f[0], "seats") == 0 && n == 2) {
            v.seats = (unsigned)strtoul(f[1], NULL, 10);
        } else if (strcmp(f[0], "seed") == 0 && n == 2) {
            v.seed = strtoull(f[1], NULL, 10);
        } else if (strcmp(f[0], "config") == 0 && n == 2) {
            snprintf(v.config, sizeof v.config, "%s", f[1]);
        } else if (strcmp(f[0], "initial") == 0 && n == 2) {
            snprintf(v.initial, sizeof v.initial, "%s", f[1]);
            start(&v);
            apply_at = v.total_steps / 2;
        } else if (strcmp(f[0], "apply") == 0 && n == 6) {
            if (v.steps == apply_at) swap_in_restored(&v);
            apply(&v, f);
            look(v.by_json, v.seats);
            v.steps++;
        } else if (strcmp(f[0], "tick") == 0 && n == 2) {
            if (v.steps == apply_at) swap_in_restored(&v);
            tick(&v, f[1]);
            v.steps++;
        } else if (strcmp(f[0], "outcome") == 0 && n == 2) {
            finish(&v, f[1]);
            vectors++;
            steps += v.steps;
        } else {
            fprintf(stderr, "unreadable line: %s\n", f[0]);
            return 2;
        }
    }
    fclose(in);
    free(v.log.s);
    if (!vectors_only) bad_input();
    /* Everything the library handed out was given back. */
    uint64_t live_sessions = 1, live_buffers = 1;
    CHECK(hearth_live(&live_sessions, &live_buffers) == HEARTH_OK, "live");
    CHECK(live_sessions == 0 && live_buffers == 0, "%" PRIu64 " sessions and %" PRIu64 " buffers were never freed",
          live_sessions, live_buffers);
    printf("C: %u vectors, %u steps, %d failures\n", vectors, steps, failures);
    return failures == 0 && vectors > 0 ? 0 : 1;
}

// The header from C++: one game of connect four through libhearth, checked against the rules.
#include <cstdio>
#include <string>

#include "hearth.h"

int main() {
    uint64_t game = 0;
    if (hearth_session_new("connect-four", "{\"first_seat\":0}", 2, 7, &game) != HEARTH_OK) {
        std::fprintf(stderr, "create: %s\n", hearth_last_error());
        return 1;
    }
    // Seat 0 drops four in column 0 while seat 1 plays column 1: seat 0 wins on its fourth.
    for (int turn = 0; turn < 7; turn++) {
        std::string move = "{\"column\":" + std::to_string(turn % 2) + "}";
        int status = hearth_apply(game, static_cast<uint8_t>(turn % 2),
                                  reinterpret_cast<const uint8_t *>(move.data()), move.size(),
                                  HEARTH_JSON, nullptr);
        if (status != HEARTH_OK) {
            std::fprintf(stderr, "move %d: %s\n", turn, hearth_last_error());
            return 1;
        }
    }
    HearthBuf outcome{};
    hearth_outcome(game, &outcome);
    std::string result(reinterpret_cast<const char *>(outcome.data), outcome.len);
    hearth_free(outcome.data);
    hearth_session_free(game);
    std::printf("C++: %s\n", result.c_str());
    return result == "{\"winners\":[0],\"scores\":[1,0]}" ? 0 : 1;
}

/* libFuzzer target: any bytes into the frame decoder, in random chunkings; every message it
 * yields must re-encode and decode to itself. */
#include <stdint.h>
#include <string.h>

#include "el_wire.h"

static el_framer_t framer;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    el_framer_init(&framer);
    size_t at = 0;
    while (at < len) {
        size_t chunk = 1 + (data[at] % 64);
        if (chunk > len - at) chunk = len - at;
        size_t off = 0;
        while (off < chunk) {
            size_t used;
            el_msg_t m;
            el_status_t s = el_framer_push(&framer, data + at + off, chunk - off, &used, &m);
            off += used;
            if (s == EL_OK) {
                static uint8_t buf[EL_MAX_MESSAGE_BYTES], again[EL_MAX_MESSAGE_BYTES];
                long n = el_encode(&m, buf, sizeof buf);
                if (n > 0) {
                    el_msg_t back;
                    if (el_decode(buf, (size_t)n, &back) != EL_OK) __builtin_trap();
                    if (el_encode(&back, again, sizeof again) != n || memcmp(buf, again, (size_t)n) != 0) __builtin_trap();
                }
            }
        }
        at += chunk;
    }
    return 0;
}

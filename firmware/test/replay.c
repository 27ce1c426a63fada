/* Cross-implementation check: reads a recorded serial stream, decodes every frame with the C
 * core and writes each message back out as a frame. For a stream the TypeScript code wrote,
 * the output must be byte-for-byte the frames that went in. Prints how many messages it saw. */
#include <stdio.h>
#include <stdlib.h>

#include "el_wire.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: replay IN OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) return 2;
    static uint8_t buf[1 << 16], frame[EL_MAX_FRAME_BYTES];
    static el_framer_t framer;
    el_framer_init(&framer);
    unsigned long messages = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t at = 0; at < n;) {
            size_t used;
            el_msg_t m;
            el_status_t s = el_framer_push(&framer, buf + at, n - at, &used, &m);
            at += used;
            if (s != EL_OK) continue;
            long len = el_frame_encode(&m, frame, sizeof frame);
            if (len < 0) return 1;
            fwrite(frame, 1, (size_t)len, out);
            messages++;
        }
    }
    fclose(in);
    fclose(out);
    printf("%lu messages, %u bad CRC, %u malformed, %u oversize, %u unknown\n", messages, (unsigned)framer.bad_crc, (unsigned)framer.malformed, (unsigned)framer.oversize, (unsigned)framer.unknown);
    return 0;
}

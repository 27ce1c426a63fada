/*
 * Tests of the portable core against the golden vectors in firmware/PROTOCOL.md (the same ones
 * the TypeScript tests read), plus playback, state machine, codec and tool behaviour.
 * Runs on the host (ASan/UBSan) and on a 32-bit RISC-V core under QEMU (semihosting).
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_device.h"
#include "el_wire.h"

#ifndef PROTOCOL_MD
#define PROTOCOL_MD "../PROTOCOL.md"
#endif

#include "check.h"

static char doc[200000];

static size_t hex_bytes(const char *text, uint8_t *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (const char *p = text; *p && *p != '\n'; p++) {
        int v = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
        if (v < 0) continue;
        if (hi < 0) hi = v;
        else {
            if (n < cap) out[n++] = (uint8_t)(hi * 16 + v);
            hi = -1;
        }
    }
    return n;
}

/* Finds the line starting with `key` inside the fenced block that starts at `block`. */
static const char *field(const char *block, const char *key) {
    const char *end = strstr(block + 3, "```");
    for (const char *line = strchr(block, '\n'); line && line < end; line = strchr(line + 1, '\n')) {
        if (strncmp(line + 1, key, strlen(key)) == 0 && line[1 + strlen(key)] == ' ') return line + 1 + strlen(key);
    }
    return NULL;
}

static uint8_t msg[4096], frame[4096], out[4096];

static void test_vectors(void) {
    int vectors = 0;
    for (const char *b = strstr(doc, "```vector "); b; b = strstr(b + 1, "```vector ")) {
        char name[64] = {0};
        sscanf(b + 10, "%63s", name);
        size_t mlen = hex_bytes(field(b, "msg"), msg, sizeof msg);
        size_t flen = hex_bytes(field(b, "frame"), frame, sizeof frame);
        el_msg_t m;
        CHECK(el_decode(msg, mlen, &m) == EL_OK, "%s: decodes", name);
        long n = el_encode(&m, out, sizeof out);
        CHECK(n == (long)mlen && memcmp(out, msg, mlen) == 0, "%s: re-encodes to the documented bytes", name);
        n = el_frame_encode(&m, out, sizeof out);
        CHECK(n == (long)flen && memcmp(out, frame, flen) == 0, "%s: frames to the documented frame", name);
        /* The frame decoder, fed one byte at a time, gives the message back. */
        el_framer_t *f = malloc(sizeof *f);
        el_framer_init(f);
        el_msg_t got;
        int found = 0;
        for (size_t i = 0; i < flen; i++) {
            size_t used;
            if (el_framer_push(f, frame + i, 1, &used, &got) == EL_OK) found++;
        }
        CHECK(found == 1 && el_encode(&got, out, sizeof out) == (long)mlen && memcmp(out, msg, mlen) == 0, "%s: streams back byte by byte", name);
        free(f);
        vectors++;
    }
    CHECK(vectors == 26, "all 26 message vectors found (got %d)", vectors);
    /* Field checks: the C structs mean what the TypeScript objects mean. */
    const char *hello = strstr(doc, "```vector hello\n");
    el_msg_t m;
    el_decode(msg, hex_bytes(field(hello, "msg"), msg, sizeof msg), &m);
    CHECK(m.u.hello.playback_buffer_samples == 3200 && m.u.hello.mic.sample_rate_hz == 16000 && m.u.hello.tool_count == 1 &&
          m.u.hello.device_id.len == 6 && memcmp(m.u.hello.device_id.ptr, "a0b1c2", 6) == 0, "hello fields");
    CHECK(!m.u.hello.protocol_revision.present && m.u.hello.protocol_revision.value == 0, "a 1.0 HELLO has no revision (0)");
    el_decode(msg, hex_bytes(field(strstr(doc, "```vector hello-v1.1 "), "msg"), msg, sizeof msg), &m);
    CHECK(m.u.hello.protocol_revision.present && m.u.hello.protocol_revision.value == 1, "a 1.1 HELLO says revision 1");
    el_decode(msg, hex_bytes(field(strstr(doc, "```vector welcome-v1.1 "), "msg"), msg, sizeof msg), &m);
    CHECK(m.u.welcome.protocol_revision.present && m.u.welcome.protocol_revision.value == 1 && m.u.welcome.frame_ms == 20, "a 1.1 WELCOME says revision 1");
    el_decode(msg, hex_bytes(field(strstr(doc, "```vector reply-end "), "msg"), msg, sizeof msg), &m);
    CHECK(m.type == EL_MSG_REPLY_END && m.u.reply_end.generation == 2, "REPLY_END fields");
    const char *credit = strstr(doc, "```vector credit\n");
    el_decode(msg, hex_bytes(field(credit, "msg"), msg, sizeof msg), &m);
    CHECK(m.u.credit.released_samples == 6400 && m.u.credit.stale_frames == 3, "credit fields");
}

static void test_decode_examples(void) {
    el_msg_t m;
    const char *b = strstr(doc, "```decode ping-with-trailing-field");
    size_t n = hex_bytes(field(b, "msg"), msg, sizeof msg);
    CHECK(el_decode(msg, n, &m) == EL_OK && m.u.ping.nonce == 1 && m.u.ping.time_us == 2, "trailing fields are ignored");
    b = strstr(doc, "```decode unknown-type");
    n = hex_bytes(field(b, "msg"), msg, sizeof msg);
    CHECK(el_decode(msg, n, &m) == EL_ERR_UNKNOWN, "unknown type is skipped");
    b = strstr(doc, "```decode malformed-string");
    n = hex_bytes(field(b, "msg"), msg, sizeof msg);
    CHECK(el_decode(msg, n, &m) == EL_ERR_MALFORMED, "a string past the end is malformed");
}

static size_t range_bytes(const char *text, const char *stop, uint8_t *dst) {
    size_t n = 0;
    for (const char *p = text; p < stop;) {
        while (p < stop && *p == ' ') p++;
        if (p >= stop) break;
        unsigned a, z;
        if (sscanf(p, "%2x..%2x", &a, &z) == 2 && p[2] == '.') {
            for (unsigned v = a; v <= z; v++) dst[n++] = (uint8_t)v;
        } else if (sscanf(p, "%2x", &a) == 1) {
            dst[n++] = (uint8_t)a;
        }
        while (p < stop && *p != ' ') p++;
    }
    return n;
}

static void test_cobs_examples(void) {
    const char *b = strstr(doc, "```cobs\n");
    const char *end = strstr(b + 7, "```");
    int rows = 0;
    for (const char *line = strchr(b, '\n') + 1; line < end; line = strchr(line, '\n') + 1) {
        const char *arrow = strstr(line, "=>");
        const char *eol = strchr(line, '\n');
        uint8_t data[300], enc[300], got[300];
        size_t dn = range_bytes(line, arrow, data);
        size_t en = range_bytes(arrow + 2, eol, enc);
        long n = el_cobs_encode(data, dn, got, sizeof got);
        CHECK(n == (long)en && memcmp(got, enc, en) == 0, "COBS row %d encodes", rows);
        n = el_cobs_decode(enc, en, got, sizeof got);
        CHECK(n == (long)dn && memcmp(got, data, dn) == 0, "COBS row %d decodes", rows);
        rows++;
    }
    CHECK(rows == 10, "10 COBS rows (got %d)", rows);
}

/* PROTOCOL.md section 7 is the one table of named constants: every row must be an el_wire.h
 * constant with the same value, and every constant below must be a row. The macros make the
 * C name from the document's (Codec PCM → EL_CODEC_PCM), so a missing constant does not compile. */
typedef struct { const char *group, *name; long value; } named_t;
#define N(group, prefix, name) { #group, #name, (long)EL_##prefix##name }
static const named_t NAMED[] = {
    N(Limit, , PROTOCOL_VERSION), N(Limit, , PROTOCOL_REVISION), N(Limit, , MAX_MESSAGE_BYTES), N(Limit, , MIN_MESSAGE_BYTES),
    N(Limit, , MAX_FRAME_BYTES), N(Limit, , MIN_SAMPLE_RATE_HZ), N(Limit, , MAX_SAMPLE_RATE_HZ), N(Limit, , MIN_BUFFER_MS),
    N(Limit, , PREBUFFER_MS), N(Limit, , CREDIT_INTERVAL_MS), N(Limit, , PLAYOUT_MARGIN_MS), N(Limit, , HELLO_RESEND_MS),
    N(Limit, , TOOLS_WAIT_MS), N(Limit, , MAX_DEVICE_ID_BYTES), N(Limit, , MAX_NAME_BYTES), N(Limit, , MAX_TOOL_NAME_BYTES),
    N(MessageType, MSG_, HELLO), N(MessageType, MSG_, TOOL), N(MessageType, MSG_, WELCOME), N(MessageType, MSG_, HELLO_REQUEST),
    N(MessageType, MSG_, AUDIO_IN), N(MessageType, MSG_, AUDIO_OUT), N(MessageType, MSG_, CREDIT), N(MessageType, MSG_, REPLY_END),
    N(MessageType, MSG_, FLUSH), N(MessageType, MSG_, SET_VOLUME), N(MessageType, MSG_, STATE), N(MessageType, MSG_, EVENT),
    N(MessageType, MSG_, TOOL_CALL), N(MessageType, MSG_, TOOL_RESULT), N(MessageType, MSG_, PING), N(MessageType, MSG_, PONG),
    N(MessageType, MSG_, LOG), N(MessageType, MSG_, ERROR), N(MessageType, MSG_, GOODBYE), N(MessageType, MSG_, CONFIG_SET),
    N(MessageType, MSG_, CONFIG_GET), N(MessageType, MSG_, CONFIG_REPORT),
    N(SampleFormat, SAMPLE_, S16LE), N(SampleFormat, SAMPLE_, U8),
    N(Codec, CODEC_, PCM), N(Codec, CODEC_, ULAW), N(Codec, CODEC_, ALAW), N(Codec, CODEC_, IMA_ADPCM),
    N(Feature, FEATURE_, BUTTON), N(Feature, FEATURE_, LED), N(Feature, FEATURE_, VOLUME), N(Feature, FEATURE_, BATTERY),
    N(Feature, FEATURE_, CAMERA), N(Feature, FEATURE_, AEC),
    N(AssistantState, ASSISTANT_, IDLE), N(AssistantState, ASSISTANT_, LISTENING), N(AssistantState, ASSISTANT_, THINKING),
    N(AssistantState, ASSISTANT_, SPEAKING), N(AssistantState, ASSISTANT_, ERROR), N(AssistantState, ASSISTANT_, CONNECTING),
    N(DeviceEvent, EVENT_, BUTTON_DOWN), N(DeviceEvent, EVENT_, BUTTON_UP),
    N(LogLevel, LOG_, DEBUG), N(LogLevel, LOG_, INFO), N(LogLevel, LOG_, WARN), N(LogLevel, LOG_, ERROR),
    N(ToolStatus, TOOL_, OK), N(ToolStatus, TOOL_, ERROR),
    N(ErrorCode, ERROR_, VERSION_MISMATCH), N(ErrorCode, ERROR_, BAD_MESSAGE), N(ErrorCode, ERROR_, UNSUPPORTED_FORMAT),
    N(ErrorCode, ERROR_, BUFFER_OVERFLOW), N(ErrorCode, ERROR_, CONFIG_INVALID), N(ErrorCode, ERROR_, TOOL_UNKNOWN),
    N(ErrorCode, ERROR_, NOT_READY), N(ErrorCode, ERROR_, INTERNAL), N(ErrorCode, ERROR_, NOT_ALLOWED), N(ErrorCode, ERROR_, TOOL_INVALID),
    N(GoodbyeReason, GOODBYE_, SHUTDOWN), N(GoodbyeReason, GOODBYE_, RESTARTING), N(GoodbyeReason, GOODBYE_, ERROR),
    N(GoodbyeReason, GOODBYE_, VERSION_MISMATCH), N(GoodbyeReason, GOODBYE_, UNAUTHORISED),
    N(ConfigKey, CONFIG_, WIFI_SSID), N(ConfigKey, CONFIG_, WIFI_PASSWORD), N(ConfigKey, CONFIG_, HOST_URL),
    N(ConfigKey, CONFIG_, DEVICE_TOKEN), N(ConfigKey, CONFIG_, DEVICE_NAME),
    N(ConfigFlag, CONFIG_FLAG_, SET), N(ConfigFlag, CONFIG_FLAG_, SECRET),
};
#undef N

static void test_constants(void) {
    const char *table = strstr(doc, "## 7. Named constants");
    CHECK(table != NULL, "PROTOCOL.md has section 7");
    if (!table) return;
    size_t count = sizeof NAMED / sizeof NAMED[0];
    int rows = 0, found[sizeof NAMED / sizeof NAMED[0]] = {0};
    for (const char *line = strchr(table, '\n'); line; line = strchr(line + 1, '\n')) {
        char group[32], name[48], value[16];
        if (sscanf(line + 1, "| %31s | `%47[A-Z0-9_]` | %15s |", group, name, value) != 3) continue;
        rows++;
        long v = strtol(value, NULL, 0);
        int match = -1;
        for (size_t i = 0; i < count; i++)
            if (!strcmp(NAMED[i].group, group) && !strcmp(NAMED[i].name, name)) match = (int)i;
        CHECK(match >= 0, "section 7 %s %s has a C constant", group, name);
        if (match < 0) continue;
        found[match] = 1;
        CHECK(NAMED[match].value == v, "%s %s: C says %ld, PROTOCOL.md %ld", group, name, NAMED[match].value, v);
    }
    for (size_t i = 0; i < count; i++) CHECK(found[i], "C constant %s %s is in section 7", NAMED[i].group, NAMED[i].name);
    CHECK(rows == (int)count, "section 7 has %d rows, C names %d", rows, (int)count);
}

static void test_crc(void) {
    CHECK(el_crc16((const uint8_t *)"123456789", 9) == 0x29B1, "CRC-16/CCITT-FALSE check value");
}

static void test_resync(void) {
    /* Garbage (a boot log), a damaged frame, an endless run, then a good frame: only it comes out. */
    el_framer_t *f = malloc(sizeof *f);
    el_framer_init(f);
    el_msg_t ping = {0};
    ping.type = EL_MSG_PING;
    ping.u.ping.nonce = 42;
    long n = el_frame_encode(&ping, frame, sizeof frame);
    static uint8_t stream[8000];
    size_t at = 0;
    const char *boot = "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n";
    memcpy(stream, boot, strlen(boot));
    at += strlen(boot);
    stream[at++] = 0;
    memcpy(stream + at, frame, (size_t)n);
    stream[at + 2] ^= 0x10; /* damaged copy */
    at += (size_t)n;
    for (int i = 0; i < 3000; i++) stream[at++] = 0x41; /* oversize */
    stream[at++] = 0;
    memcpy(stream + at, frame, (size_t)n);
    at += (size_t)n;
    int good = 0;
    el_msg_t got;
    for (size_t i = 0; i < at;) {
        size_t used;
        el_status_t s = el_framer_push(f, stream + i, at - i, &used, &got);
        i += used;
        if (s == EL_OK) good += got.type == EL_MSG_PING && got.u.ping.nonce == 42;
    }
    CHECK(good == 1, "exactly the one good frame survives (got %d)", good);
    CHECK(f->bad_crc + f->malformed >= 1 && f->oversize == 1, "damage counted: crc %u malformed %u oversize %u", (unsigned)f->bad_crc, (unsigned)f->malformed, (unsigned)f->oversize);
    free(f);
}

static void test_playback(void) {
    static int16_t ring[320];
    el_playback_t p;
    el_playback_init(&p, ring, 320, 16000);
    CHECK(p.prebuffer_samples == 160, "prebuffer: 60 ms, or half the buffer if less (%u)", (unsigned)p.prebuffer_samples);
    int16_t a[160], outbuf[400];
    for (int i = 0; i < 160; i++) a[i] = (int16_t)(i + 1);
    CHECK(el_playback_push(&p, 0, a, 160, 0) == EL_OK && el_playback_push(&p, 0, a, 160, 0) == EL_OK, "fills to capacity");
    CHECK(el_playback_push(&p, 0, a, 160, 0) == EL_ERR_TOO_BIG && p.overflows == 1 && p.released == 160, "overflow dropped, counted and released");
    CHECK(el_playback_pull(&p, outbuf, 100, 0) == 100 && outbuf[99] == 100, "plays in order");
    el_playback_flush(&p, 1);
    CHECK(p.count == 0 && p.released == 160 + 320 && p.generation == 1, "flush releases everything and moves the generation");
    CHECK(el_playback_push(&p, 0, a, 160, 0) == EL_ERR_ARGUMENT && p.stale_frames == 1, "audio of the old reply is stale: dropped");
    el_playback_flush(&p, 1);
    CHECK(p.generation == 1 && p.count == 0, "a second FLUSH of the same generation is harmless");
    /* Prebuffering: a frame smaller than the prebuffer waits up to 100 ms, then plays. */
    el_playback_push(&p, 1, a, 80, 1000);
    CHECK(el_playback_pull(&p, outbuf, 40, 50000) == 0 && outbuf[0] == 0, "waits to prebuffer");
    CHECK(el_playback_pull(&p, outbuf, 40, 101000) == 40 && outbuf[0] == 1, "plays 100 ms after the first frame came");
    /* Running dry while the reply plays is an underrun; after REPLY_END it is the normal end. */
    el_playback_pull(&p, outbuf, 400, 102000);
    CHECK(outbuf[39] == 80 && outbuf[40] == 0 && p.underruns == 1, "dry inside a reply: silence and one underrun (%u)", p.underruns);
    el_playback_push(&p, 1, a, 160, 200000);
    CHECK(el_playback_pull(&p, outbuf, 80, 200000) == 80, "enough buffered: plays at once");
    el_playback_end_reply(&p, 0);
    CHECK(p.reply_playing, "REPLY_END of another generation is ignored");
    el_playback_end_reply(&p, 1);
    el_playback_pull(&p, outbuf, 400, 210000);
    CHECK(p.underruns == 1 && p.count == 0, "dry after REPLY_END: the reply's end, not an underrun");
    el_playback_push(&p, 1, a, 20, 300000);
    el_playback_end_reply(&p, 1);
    CHECK(el_playback_pull(&p, outbuf, 40, 300000) == 20, "a reply shorter than the prebuffer plays at its REPLY_END");
    el_playback_push(&p, 1, a, 160, 0);
    el_msg_t credit;
    el_playback_credit(&p, &credit);
    CHECK(credit.type == EL_MSG_CREDIT && credit.u.credit.buffered_samples == 160 && credit.u.credit.released_samples == p.released, "credit reports the counters");
}

static void test_transitions(void) {
    CHECK(EL_TRANSITIONS[EL_STATE_LINK_DOWN][EL_EV_LINK_UP].next == EL_STATE_AWAIT_WELCOME, "link up → await welcome");
    CHECK(EL_TRANSITIONS[EL_STATE_AWAIT_WELCOME][EL_EV_WELCOME_OK].next == EL_STATE_SESSION, "welcome → session");
    CHECK(EL_TRANSITIONS[EL_STATE_AWAIT_WELCOME][EL_EV_WELCOME_BAD_VERSION].actions & EL_DO_REFUSE_VERSION, "bad version refused");
    CHECK(EL_TRANSITIONS[EL_STATE_SESSION][EL_EV_HELLO_REQUEST].next == EL_STATE_AWAIT_WELCOME, "hello request restarts");
    CHECK(EL_TRANSITIONS[EL_STATE_AWAIT_WELCOME][EL_EV_WELCOME_BAD_VERSION].next == EL_STATE_REFUSED, "bad version: refused, no more HELLOs");
    CHECK(EL_TRANSITIONS[EL_STATE_AWAIT_WELCOME][EL_EV_GOODBYE_REFUSED].next == EL_STATE_REFUSED, "GOODBYE 2/3 while waiting: refused");
    CHECK(EL_TRANSITIONS[EL_STATE_SESSION][EL_EV_WELCOME_OK].actions == (EL_DO_FLUSH | EL_DO_START_SESSION), "WELCOME in a session starts a new one");
    CHECK(EL_TRANSITIONS[EL_STATE_REFUSED][EL_EV_HELLO_TIMEOUT].actions == 0 && EL_TRANSITIONS[EL_STATE_REFUSED][EL_EV_HELLO_REQUEST].actions == EL_DO_SEND_HELLO,
          "refused: silent until asked");
    for (int s = 0; s < EL_STATE_COUNT; s++)
        for (int e = 0; e < EL_EV_COUNT; e++) CHECK(EL_TRANSITIONS[s][e].next < EL_STATE_COUNT, "table entry %d/%d valid", s, e);
}

/* A device talking to a pretend host through a captured byte buffer. */
static uint8_t wire[65536];
static size_t wire_len;
static void capture(void *ctx, const uint8_t *bytes, size_t len) {
    (void)ctx;
    if (wire_len + len <= sizeof wire) memcpy(wire + wire_len, bytes, len), wire_len += len;
}
static int led_on;
static int set_led(void *ctx, const char *args, size_t len, char *result, size_t cap) {
    (void)ctx;
    led_on = len >= 9 && strstr(args, "true") != NULL;
    snprintf(result, cap, "{\"led\":\"%s\"}", led_on ? "on" : "off");
    return 0;
}
static char stored[6][100];
static int stored_len[6] = {-1, -1, -1, -1, -1, -1};
static int setting_set(void *ctx, uint8_t key, const uint8_t *v, size_t len) {
    (void)ctx;
    memcpy(stored[key], v, len);
    stored_len[key] = len ? (int)len : -1;
    return 0;
}
static int setting_get(void *ctx, uint8_t key, uint8_t *buf, size_t cap) {
    (void)ctx;
    if (stored_len[key] < 0 || (size_t)stored_len[key] > cap) return -1;
    memcpy(buf, stored[key], (size_t)stored_len[key]);
    return stored_len[key];
}

static int next_message(el_framer_t *f, size_t *at, el_msg_t *m) {
    while (*at < wire_len) {
        size_t used;
        el_status_t s = el_framer_push(f, wire + *at, wire_len - *at, &used, m);
        *at += used;
        if (s == EL_OK) return 1;
    }
    return 0;
}

static void feed(el_device_t *d, const el_msg_t *m) {
    long n = el_encode(m, out, sizeof out);
    el_msg_t back;
    if (n > 0 && el_decode(out, (size_t)n, &back) == EL_OK) el_device_handle(d, &back);
}

static void test_device(void) {
    static el_device_t d;
    static int16_t ring[3200];
    static el_playback_t p;
    static const el_tool_t tools[] = { { "set_led", "LED", "{\"type\":\"object\"}", set_led, NULL } };
    el_framer_t *f = malloc(sizeof *f);
    memset(&d, 0, sizeof d);
    el_playback_init(&p, ring, 3200, 16000);
    d.serial = 1;
    d.send = capture;
    d.playback = &p;
    d.tools = tools;
    d.tool_count = 1;
    d.settings.set = setting_set;
    d.settings.get = setting_get;
    el_device_init(&d);
    d.hello.u.hello.device_id.ptr = (const uint8_t *)"board";
    d.hello.u.hello.device_id.len = 5;
    d.hello.u.hello.speaker.sample_rate_hz = 16000;
    d.hello.u.hello.speaker.sample_format = 1;
    d.hello.u.hello.speaker.channels = 1;
    d.hello.u.hello.speaker.codecs = EL_CODECS_ALL;
    d.hello.u.hello.mic = (el_format_t){ 16000, EL_SAMPLE_S16LE, 1, EL_CODECS_ALL };
    el_framer_init(f);
    size_t at = 0;
    el_msg_t m;
    el_device_event(&d, EL_EV_LINK_UP);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_HELLO && m.u.hello.playback_buffer_samples == 3200, "says HELLO on link up");
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_TOOL && m.u.tool.name.len == 7, "then its TOOL");
    el_device_tick(&d, 2100);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_HELLO, "repeats HELLO until welcomed");
    next_message(f, &at, &m);
    el_msg_t w = {0};
    w.type = EL_MSG_WELCOME;
    w.u.welcome.protocol_version = 1;
    w.u.welcome.session_id = 7;
    w.u.welcome.frame_ms = 20;
    feed(&d, &w);
    CHECK(d.state == EL_STATE_SESSION && next_message(f, &at, &m) && m.type == EL_MSG_CREDIT, "welcome starts the session with a CREDIT");
    /* Audio, flush, stale audio. */
    static uint8_t pcm[640];
    for (int i = 0; i < 640; i++) pcm[i] = (uint8_t)(i & 0xFF) | 1;
    el_msg_t a = {0};
    a.type = EL_MSG_AUDIO_OUT;
    a.u.audio_out.payload.ptr = pcm;
    a.u.audio_out.payload.len = 640;
    feed(&d, &a);
    CHECK(p.count == 320, "AUDIO_OUT fills the playback buffer");
    el_msg_t fl = {0};
    fl.type = EL_MSG_FLUSH;
    fl.u.flush.generation = 1;
    feed(&d, &fl);
    CHECK(p.count == 0 && next_message(f, &at, &m) && m.type == EL_MSG_CREDIT && m.u.credit.released_samples == 320 && m.u.credit.generation == 1, "FLUSH empties and credits at once");
    feed(&d, &a); /* generation 0: stale */
    CHECK(p.count == 0 && p.stale_frames == 1, "stale audio after a flush never plays");
    /* Tool call. */
    el_msg_t tc = {0};
    tc.type = EL_MSG_TOOL_CALL;
    tc.u.tool_call.call_id = 9;
    tc.u.tool_call.name.ptr = (const uint8_t *)"set_led";
    tc.u.tool_call.name.len = 7;
    tc.u.tool_call.args_json.ptr = (const uint8_t *)"{\"on\":true}";
    tc.u.tool_call.args_json.len = 11;
    feed(&d, &tc);
    CHECK(led_on && next_message(f, &at, &m) && m.type == EL_MSG_TOOL_RESULT && m.u.tool_result.call_id == 9 && m.u.tool_result.status == 0, "tool call runs and answers with its id");
    /* Provisioning (4.9): every CONFIG_SET is answered with a report of every key; secrets are never read back. */
    el_msg_t cs = {0};
    cs.type = EL_MSG_CONFIG_SET;
    cs.u.config_set.key = 2;
    cs.u.config_set.value.ptr = (const uint8_t *)"hunter2";
    cs.u.config_set.value.len = 7;
    feed(&d, &cs);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_CONFIG_REPORT && m.u.config_report.count == 5 && m.u.config_report.entries[1].flags == 3,
          "CONFIG_SET answered with a CONFIG_REPORT");
    cs.u.config_set.key = 1;
    cs.u.config_set.value.ptr = (const uint8_t *)"home";
    cs.u.config_set.value.len = 4;
    feed(&d, &cs);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_CONFIG_REPORT, "the second CONFIG_SET too");
    const char *report = strstr(doc, "```vector config-report ");
    size_t rlen = hex_bytes(field(report, "msg"), msg, sizeof msg);
    CHECK(el_encode(&m, out, sizeof out) == (long)rlen && memcmp(out, msg, rlen) == 0, "the report is the config-report vector byte for byte (all keys, key order)");
    el_msg_t cg = {0};
    cg.type = EL_MSG_CONFIG_GET;
    feed(&d, &cg);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_CONFIG_REPORT && m.u.config_report.count == 5, "config report");
    CHECK(m.u.config_report.entries[0].value.len == 4 && m.u.config_report.entries[1].flags == 3 && m.u.config_report.entries[1].value.len == 0, "the password is set but withheld");
    cs.u.config_set.key = 9;
    feed(&d, &cs);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_ERROR && m.u.error.code == EL_ERROR_CONFIG_INVALID && m.u.error.message.len >= 12 &&
          memcmp(m.u.error.message.ptr, "config key 9", 12) == 0, "an unknown key: ERROR CONFIG_INVALID naming it");
    /* Microphone in ADPCM after a WELCOME that chose it. */
    w.u.welcome.mic_codec = 3;
    el_device_event(&d, EL_EV_HELLO_REQUEST);
    while (next_message(f, &at, &m)) {}
    feed(&d, &w);
    next_message(f, &at, &m);
    int16_t mic[321];
    for (int i = 0; i < 321; i++) mic[i] = (int16_t)(i * 50);
    el_device_mic_frame(&d, mic, 321, 1234);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_AUDIO_IN && m.u.audio_in.payload.len == 164 && m.u.audio_in.capture_time_us == 1234, "mic frame as one 164-byte ADPCM block");
    free(f);
}

static uint32_t fake_now;
static uint32_t fake_clock(void) {
    return fake_now;
}

/* Revision 1.1 on the device side: REPLY_END and CREDIT rule 4, REFUSED, a WELCOME in a session,
 * a 1.0 host's STATE as the end of a reply, frame sizes. */
static void test_device_v11(void) {
    static el_device_t d;
    static int16_t ring[3200];
    static el_playback_t p;
    el_framer_t *f = malloc(sizeof *f);
    memset(&d, 0, sizeof d);
    el_playback_init(&p, ring, 3200, 16000);
    d.serial = 1;
    d.send = capture;
    d.playback = &p;
    d.now_us = fake_clock;
    el_device_init(&d);
    d.hello.u.hello.mic = (el_format_t){ 16000, EL_SAMPLE_S16LE, 1, 0x0F };
    d.hello.u.hello.speaker = (el_format_t){ 16000, EL_SAMPLE_S16LE, 1, 0x0F };
    el_framer_init(f);
    wire_len = 0;
    size_t at = 0;
    el_msg_t m;
    el_device_event(&d, EL_EV_LINK_UP);
    CHECK(next_message(f, &at, &m) && m.type == EL_MSG_HELLO && m.u.hello.protocol_revision.present && m.u.hello.protocol_revision.value == 1,
          "HELLO says revision 1");
    el_msg_t w = {0};
    w.type = EL_MSG_WELCOME;
    w.u.welcome.protocol_version = 1;
    w.u.welcome.frame_ms = 20;
    w.u.welcome.protocol_revision = (el_opt_u8_t){ 1, 1 };
    feed(&d, &w);
    CHECK(d.revision == 1 && next_message(f, &at, &m) && m.type == EL_MSG_CREDIT, "a 1.1 session");
    /* A reply of 480 samples (1.5 frames), then REPLY_END; played 10 ms at a time. */
    static uint8_t pcm[960];
    for (int i = 0; i < 960; i++) pcm[i] = (uint8_t)(i | 1);
    el_msg_t a = {0};
    a.type = EL_MSG_AUDIO_OUT;
    a.u.audio_out.payload = (el_bytes_t){ pcm, 960 };
    fake_now = 0;
    feed(&d, &a);
    el_msg_t end = {0};
    end.type = EL_MSG_REPLY_END;
    feed(&d, &end);
    int16_t dac[160];
    uint32_t last_released = 0;
    int credits = 0;
    for (int tick = 1; tick <= 5; tick++) {
        fake_now = (uint32_t)tick * 10000u;
        el_device_play(&d, dac, 160, fake_now);
        while (next_message(f, &at, &m)) {
            if (m.type != EL_MSG_CREDIT) continue;
            credits++;
            last_released = m.u.credit.released_samples;
            if (tick == 3) CHECK(m.u.credit.released_samples == 480 && m.u.credit.buffered_samples == 0, "rule 4: CREDIT the moment the buffer is empty");
        }
    }
    CHECK(last_released == 480 && credits == 2, "the whole reply is reported released (%u, %d CREDITs)", (unsigned)last_released, credits);
    CHECK(p.underruns == 0, "the end of a reply after REPLY_END is no underrun");
    /* A WELCOME in a session starts a new one. */
    feed(&d, &a);
    feed(&d, &w);
    CHECK(d.state == EL_STATE_SESSION && p.count == 0 && p.released == 0 && next_message(f, &at, &m) && m.type == EL_MSG_CREDIT &&
          m.u.credit.released_samples == 0, "WELCOME in a session: flushed, counters zero, a CREDIT");
    /* Frame sizes (section 3): round(rate × frameMs / 1000), + 1 for an even ADPCM count. */
    w.u.welcome.frame_ms = 5;
    w.u.welcome.mic_codec = EL_CODEC_IMA_ADPCM;
    feed(&d, &w);
    CHECK(el_device_mic_frame_samples(&d) == 81, "5 ms at 16 kHz in IMA ADPCM: 81 samples (%u)", (unsigned)el_device_mic_frame_samples(&d));
    d.hello.u.hello.mic.sample_rate_hz = 22050;
    w.u.welcome.frame_ms = 20;
    feed(&d, &w);
    CHECK(el_device_mic_frame_samples(&d) == 441, "20 ms at 22050 Hz: 441 samples");
    d.hello.u.hello.mic.sample_rate_hz = 16000;
    /* A 1.0 host: no REPLY_END, the end of speaking ends the reply. */
    w.u.welcome.protocol_revision = (el_opt_u8_t){ 0, 0 };
    w.u.welcome.mic_codec = EL_CODEC_PCM;
    feed(&d, &w);
    CHECK(d.revision == 0, "a WELCOME without a revision is a 1.0 session");
    feed(&d, &a);
    el_msg_t st = {0};
    st.type = EL_MSG_STATE;
    st.u.state.state = EL_ASSISTANT_SPEAKING;
    feed(&d, &st);
    CHECK(p.reply_playing, "speaking: the reply plays");
    st.u.state.state = EL_ASSISTANT_LISTENING;
    feed(&d, &st);
    CHECK(!p.reply_playing, "1.0 session: STATE listening ends the reply");
    /* 1.0: the host ends SPEAKING only after the buffer ran dry, so a dry buffer counts as an
     * underrun only when more audio of the reply follows. */
    for (int i = 0; i < 8; i++) el_device_play(&d, dac, 160, 500000);
    st.u.state.state = EL_ASSISTANT_SPEAKING;
    feed(&d, &st);
    feed(&d, &a);
    for (int i = 0; i < 5; i++) el_device_play(&d, dac, 160, 600000);
    CHECK(p.count == 0 && p.underruns == 0, "1.0: dry before the host's STATE listening is not yet an underrun (%u)", p.underruns);
    st.u.state.state = EL_ASSISTANT_LISTENING;
    feed(&d, &st);
    CHECK(p.underruns == 0, "1.0: it was the reply's end");
    st.u.state.state = EL_ASSISTANT_SPEAKING;
    feed(&d, &st);
    feed(&d, &a);
    for (int i = 0; i < 5; i++) el_device_play(&d, dac, 160, 800000);
    feed(&d, &a);
    CHECK(p.underruns == 1, "1.0: dry, then more of the same reply: one underrun (%u)", p.underruns);
    /* A WELCOME the board cannot follow (found by fuzz_device.c): refused, like a bad HELLO. */
    el_device_event(&d, EL_EV_HELLO_REQUEST);
    while (next_message(f, &at, &m)) {}
    el_msg_t odd = w;
    odd.u.welcome.frame_ms = 12288;
    feed(&d, &odd);
    CHECK(d.state == EL_STATE_REFUSED && next_message(f, &at, &m) && m.type == EL_MSG_ERROR && m.u.error.code == EL_ERROR_UNSUPPORTED_FORMAT &&
          next_message(f, &at, &m) && m.type == EL_MSG_GOODBYE && m.u.goodbye.reason == EL_GOODBYE_ERROR, "WELCOME frameMs 12288: ERROR, GOODBYE, refused");
    CHECK(el_device_mic_frame_samples(&d) <= 961, "and its frame size was never taken");
    d.hello.u.hello.mic.codecs = EL_CODEC_BIT(EL_CODEC_PCM);
    el_device_event(&d, EL_EV_HELLO_REQUEST);
    while (next_message(f, &at, &m)) {}
    odd = w;
    odd.u.welcome.mic_codec = EL_CODEC_IMA_ADPCM;
    feed(&d, &odd);
    CHECK(d.state == EL_STATE_REFUSED && next_message(f, &at, &m) && m.type == EL_MSG_ERROR && m.u.error.code == EL_ERROR_UNSUPPORTED_FORMAT,
          "WELCOME with a mic codec the board did not offer: refused");
    d.hello.u.hello.mic.codecs = EL_CODECS_ALL;
    /* GOODBYE error: refused, silent until asked again. */
    el_device_event(&d, EL_EV_HELLO_REQUEST);
    while (next_message(f, &at, &m)) {}
    el_msg_t bye = {0};
    bye.type = EL_MSG_GOODBYE;
    bye.u.goodbye.reason = EL_GOODBYE_ERROR;
    feed(&d, &bye);
    el_device_tick(&d, 2100);
    CHECK(d.state == EL_STATE_REFUSED && !next_message(f, &at, &m), "refused by the host: no HELLO every 2 s");
    el_msg_t hr = {0};
    hr.type = EL_MSG_HELLO_REQUEST;
    feed(&d, &hr);
    CHECK(d.state == EL_STATE_AWAIT_WELCOME && next_message(f, &at, &m) && m.type == EL_MSG_HELLO, "HELLO_REQUEST asks again");
    free(f);
}

static void test_codecs(void) {
    /* µ-law and A-law: every code decodes and re-encodes to itself (except the two zeros). */
    int ok_mu = 1, ok_a = 1;
    for (int b = 0; b < 256; b++) {
        if (el_mulaw_encode(el_mulaw_decode((uint8_t)b)) != b && b != 0x7F) ok_mu = 0;
        if (el_alaw_encode(el_alaw_decode((uint8_t)b)) != b) ok_a = 0;
    }
    CHECK(ok_mu, "mu-law codes are stable");
    CHECK(ok_a, "A-law codes are stable");
    CHECK(el_mulaw_encode(2) == 0xFE && el_mulaw_encode(-3) == 0x7E && el_mulaw_encode(1000) == 0xCE, "mu-law rounds like sox");
    CHECK(el_alaw_encode(100) == 0xD3 && el_alaw_encode(-1000) == 0x7A && el_alaw_encode(32767) == 0xAA, "A-law rounds like sox");
    int16_t in[505], dec[505];
    for (int i = 0; i < 505; i++) in[i] = (int16_t)(8000 * ((i % 40) - 20) / 20);
    uint8_t idx = 0, block[256];
    long n = el_ima_encode(in, 505, &idx, block, sizeof block);
    CHECK(n == 256 && el_ima_decode(block, 256, dec, 505) == 505 && dec[0] == in[0], "IMA ADPCM block round trip");
    CHECK(el_volume_gain_q15(100) == 32767 && el_volume_gain_q15(0) == 0, "volume ends");
    uint16_t g50 = el_volume_gain_q15(50); /* −25.25 dB ≈ 0.0546 → 1789 in Q15 */
    CHECK(g50 > 1770 && g50 < 1810, "volume 50%% is about -25 dB (Q15 %u)", g50);
    /* I2S words to s16: Math.round(x * 2^(gain - 16)) as src/audio/sampleFormat.ts i2s32ToS16 does. */
    static const int32_t words[] = { 0x7FFF8000, 0x00018000, -0x00018000, -0x00008000, 0x00007FFF, INT32_MIN, 0x12345678, 0x40000000, -0x40000001 };
    static const int16_t at0[] = { 32767, 2, -1, 0, 0, -32768, 0x1234, 16384, -16384 };
    static const int16_t at2[] = { 32767, 6, -6, -2, 2, -32768, 18641, 32767, -32768 };
    int16_t s16[9];
    el_i2s32_to_s16(words, 9, 0, s16);
    CHECK(memcmp(s16, at0, sizeof s16) == 0, "I2S to s16 rounds half up (got %d %d %d %d %d)", s16[1], s16[2], s16[3], s16[4], s16[6]);
    el_i2s32_to_s16(words, 9, 2, s16);
    CHECK(memcmp(s16, at2, sizeof s16) == 0, "I2S to s16 with +12 dB clamps (got %d %d %d %d %d)", s16[1], s16[2], s16[3], s16[4], s16[6]);
}

int main(void) {
    FILE *fp = fopen(PROTOCOL_MD, "rb");
    if (!fp) {
        printf("cannot open %s\n", PROTOCOL_MD);
        return 2;
    }
    size_t n = fread(doc, 1, sizeof doc - 1, fp);
    fclose(fp);
    doc[n] = 0;
    test_crc();
    test_constants();
    test_vectors();
    test_decode_examples();
    test_cobs_examples();
    test_resync();
    test_playback();
    test_transitions();
    test_device();
    test_device_v11();
    test_codecs();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

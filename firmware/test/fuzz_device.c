/* libFuzzer target: any bytes from the host into the whole board application (frame decoder,
 * device state machine, playback, codecs, tools, settings), over serial or as WebSocket
 * messages, with the speaker and microphone running in between. ASan/UBSan find the bugs;
 * the invariants below are the protocol's. */
#include <stdint.h>
#include <string.h>

#include "el_app.h"

static el_app_t app;
static int16_t ring[640];
static uint32_t now;
static uint8_t settings[EL_CONFIG_KEY_COUNT + 1][97];
static int settings_len[EL_CONFIG_KEY_COUNT + 1];

static void send(void *ctx, el_link_t link, const uint8_t *bytes, size_t len) {
    (void)ctx, (void)link, (void)bytes;
    if (len > EL_MAX_FRAME_BYTES) __builtin_trap(); /* the board never sends more than a frame */
}
static uint32_t clock_us(void) {
    return now;
}
static int gpio(void *ctx, int pin) {
    (void)ctx;
    return pin == 1 ? 1 : -1;
}
static int set(void *ctx, uint8_t key, const uint8_t *v, size_t len) {
    (void)ctx;
    if (key < 1 || key > EL_CONFIG_KEY_COUNT || len > 96) __builtin_trap(); /* the core checked it */
    memcpy(settings[key], v, len);
    settings_len[key] = len ? (int)len : -1;
    return 0;
}
static int get(void *ctx, uint8_t key, uint8_t *buf, size_t cap) {
    (void)ctx;
    if (settings_len[key] < 0 || (size_t)settings_len[key] > cap) return -1;
    memcpy(buf, settings[key], (size_t)settings_len[key]);
    return settings_len[key];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    const el_board_t board = { send, clock_us, NULL, gpio, { set, get, NULL }, NULL, NULL };
    const el_app_config_t config = { "fuzz", "fuzz", "1", EL_FEATURE_BUTTON, 300, { 16000, EL_SAMPLE_S16LE, 1, EL_CODECS_ALL },
                                     { 16000, EL_SAMPLE_S16LE, 1, EL_CODECS_ALL } };
    for (int k = 0; k <= (int)EL_CONFIG_KEY_COUNT; k++) settings_len[k] = -1;
    el_app_init(&app, &board, &config, ring, 640);
    el_app_link_up(&app, EL_LINK_SERIAL);
    static int16_t pcm[2048];
    size_t at = 0;
    while (at < len) {
        /* First byte of each chunk: its length, which link, and how much time passes. */
        uint8_t head = data[at++];
        size_t chunk = 1 + (head & 0x3F);
        if (chunk > len - at) chunk = len - at;
        el_app_receive(&app, (head & 0x40) ? EL_LINK_WEBSOCKET : EL_LINK_SERIAL, data + at, chunk);
        at += chunk;
        if (head & 0x80) {
            now += 10000;
            el_app_speaker(&app, pcm, 160);
            size_t n = el_app_mic_frame_samples(&app);
            if (n > 2048) __builtin_trap(); /* frames are at most 48 kHz × 20 ms + 1 */
            el_app_mic_frame(&app, pcm, n, now);
            el_app_button_sample(&app, (int)(now / 10000) & 1);
            el_app_tick(&app);
        }
        const el_playback_t *p = &app.playback;
        if (p->count > p->capacity) __builtin_trap(); /* the buffer never overflows */
    }
    return 0;
}

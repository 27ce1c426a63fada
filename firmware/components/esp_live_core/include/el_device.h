/*
 * The device side of the protocol, without hardware: the link state machine (an explicit
 * transition table), the playback buffer with credit accounting and generation-aware flush,
 * audio codecs and volume, the tool table and settings. The ESP-IDF glue feeds it bytes and
 * microphone frames and gives it callbacks; nothing here allocates.
 */
#ifndef EL_DEVICE_H
#define EL_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "el_wire.h"

/* ---- Audio: G.711, IMA ADPCM, volume ----------------------------------------------------- */
uint8_t el_mulaw_encode(int16_t s);
int16_t el_mulaw_decode(uint8_t b);
uint8_t el_alaw_encode(int16_t s);
int16_t el_alaw_decode(uint8_t b);
/* One IMA ADPCM block (PROTOCOL.md section 3); returns samples decoded or < 0. */
long el_ima_decode(const uint8_t *block, size_t len, int16_t *out, size_t cap);
/* Encodes an odd number of samples; *index carries the step index between blocks. */
long el_ima_encode(const int16_t *in, size_t n, uint8_t *index, uint8_t *out, size_t cap);
/* Volume 0..100 to a Q15 gain (0 silent, 100 unity, -50 dB at 1, even in dB). */
uint16_t el_volume_gain_q15(uint8_t percent);
void el_apply_gain_q15(int16_t *samples, size_t n, uint16_t gain_q15);
/* I2S microphone words (INMP441: 24 bits left-justified in 32) to s16, `gain_bits` × 6 dB up,
 * rounded to nearest (halves up) and clamped, like the host's i2s32ToS16. */
void el_i2s32_to_s16(const int32_t *in, size_t n, int gain_bits, int16_t *out);

/* ---- Playback buffer ---------------------------------------------------------------------- */
/*
 * PROTOCOL.md section 4.5. A reply *is playing* from its first accepted AUDIO_OUT until it ends
 * (REPLY_END, or in a 1.0 session a STATE other than speaking), a FLUSH or the session's end;
 * the buffer running dry while a reply is playing is an underrun. Output starts (and, after an
 * underrun, restarts) once `prebuffer_samples` are buffered, the reply has ended, or 100 ms
 * after the first frame that found the output waiting.
 */
typedef struct {
    int16_t *ring;         /* caller's storage, `capacity` samples */
    uint32_t capacity, head, count;
    uint16_t generation;
    uint32_t released, played;
    uint16_t underruns, overflows, stale_frames;
    uint32_t prebuffer_samples;
    uint8_t reply_playing; /* between a reply's first AUDIO_OUT and its end */
    uint8_t output_on;     /* the DAC is taking samples from the buffer */
    uint8_t waiting;       /* frames arrived while the output was off: wait_since_us is set */
    /* A 1.0 session has no REPLY_END, and a 1.0 host ends SPEAKING only after the buffer ran dry;
     * so there a dry buffer is an underrun only once more audio of the same reply follows. */
    uint8_t dry_counts_late, dry_pending;
    uint32_t wait_since_us;
} el_playback_t;

/* Prebuffers 60 ms at `rate_hz`, or half the buffer if that is less. */
void el_playback_init(el_playback_t *p, int16_t *storage, uint32_t capacity, uint32_t rate_hz);
/* Back to an empty buffer and zero counters (a new session), keeping storage and prebuffer. */
void el_playback_reset(el_playback_t *p);
/* AUDIO_OUT samples: stale generation or no room → dropped, counted, released. */
el_status_t el_playback_push(el_playback_t *p, uint16_t generation, const int16_t *samples, uint32_t n, uint32_t now_us);
/* The DAC wants n samples now: fills `out` (silence while waiting or dry); returns the audio taken. */
uint32_t el_playback_pull(el_playback_t *p, int16_t *out, uint32_t n, uint32_t now_us);
/* The reply of `generation` is complete (REPLY_END): what is buffered plays out, then silence. */
void el_playback_end_reply(el_playback_t *p, uint16_t generation);
void el_playback_flush(el_playback_t *p, uint16_t generation);
void el_playback_credit(const el_playback_t *p, el_msg_t *out);

/* ---- Link state machine -------------------------------------------------------------------- */
/* REFUSED: the host refused the HELLO (GOODBYE 2 or 3) or spoke another major version: no HELLO
 * until HELLO_REQUEST, a new link or a restart. */
typedef enum { EL_STATE_LINK_DOWN, EL_STATE_AWAIT_WELCOME, EL_STATE_SESSION, EL_STATE_REFUSED, EL_STATE_COUNT } el_link_state_t;
typedef enum { EL_EV_LINK_UP, EL_EV_LINK_DOWN, EL_EV_HELLO_REQUEST, EL_EV_WELCOME_OK, EL_EV_WELCOME_BAD_VERSION,
               EL_EV_HELLO_TIMEOUT, EL_EV_GOODBYE, EL_EV_GOODBYE_REFUSED, EL_EV_COUNT } el_link_event_t;
enum { EL_DO_NOTHING = 0, EL_DO_SEND_HELLO = 1, EL_DO_START_SESSION = 2, EL_DO_REFUSE_VERSION = 4, EL_DO_FLUSH = 8 };
typedef struct { uint8_t next; uint8_t actions; } el_transition_t;
/* The table itself, for tests and docs: [state][event]. */
extern const el_transition_t EL_TRANSITIONS[EL_STATE_COUNT][EL_EV_COUNT];

/* ---- Tools and settings --------------------------------------------------------------------- */
typedef struct {
    const char *name, *description, *parameters_schema;
    /* Writes a JSON result into `result` (NUL-terminated); returns 0 for ok, 1 for error. */
    int (*run)(void *ctx, const char *args_json, size_t args_len, char *result, size_t result_cap);
    void *ctx;
} el_tool_t;

typedef struct {
    /* Store or clear (len 0) a setting; return 0 if kept. Secrets: keys 2 and 4. */
    int (*set)(void *ctx, uint8_t key, const uint8_t *value, size_t len);
    /* Copy a setting into buf; return its length, or -1 if unset. */
    int (*get)(void *ctx, uint8_t key, uint8_t *buf, size_t cap);
    void *ctx;
} el_settings_t;

/* ---- The device ------------------------------------------------------------------------------ */
typedef struct el_device el_device_t;
typedef void (*el_send_fn)(void *ctx, const uint8_t *bytes, size_t len);

struct el_device {
    el_link_state_t state;
    int serial;                 /* 1: COBS frames, 0: one message per WebSocket frame */
    el_send_fn send;
    void *send_ctx;
    el_msg_t hello;             /* filled by the board code: formats, features, ids */
    const el_tool_t *tools;
    uint8_t tool_count;
    el_settings_t settings;
    el_playback_t *playback;
    uint8_t mic_codec, speaker_codec, volume_percent, assistant_state;
    uint8_t revision;           /* the session's protocol revision (WELCOME): 0 for a 1.0 host */
    uint16_t frame_ms;
    uint32_t session_id, mic_seq;
    uint32_t hello_elapsed_ms;
    uint32_t credit_released, credit_at_us; /* what the last CREDIT said, and when */
    uint8_t ima_index;
    /* Scratch space, so that nothing is on the (small) task stack and nothing is static. */
    uint8_t out[EL_MAX_FRAME_BYTES];
    uint8_t payload[EL_MAX_MESSAGE_BYTES];
    int16_t pcm[1 + 2 * (EL_MAX_MESSAGE_BYTES - 4)];
    char tool_result[512];
    uint8_t config_values[EL_CONFIG_KEY_COUNT][97];
    char error_text[64];
    void (*on_state)(void *ctx, uint8_t assistant_state); /* the LED */
    void *on_state_ctx;
    uint32_t (*now_us)(void); /* the board's clock, for PONG; may be NULL */
};

void el_device_init(el_device_t *d);
void el_device_event(el_device_t *d, el_link_event_t ev);
/* A message from the host. */
void el_device_handle(el_device_t *d, const el_msg_t *m);
/* Time passes (resends HELLO every 2 s until welcomed). Call it at least every 100 ms. */
void el_device_tick(el_device_t *d, uint32_t elapsed_ms);
/* One microphone frame (s16 mono at the mic rate); encoded with the agreed codec. */
void el_device_mic_frame(el_device_t *d, const int16_t *samples, size_t n, uint32_t capture_time_us);
/* Samples per microphone frame for the agreed frame duration and codec (an IMA ADPCM block
 * carries an odd number: 321 for 20 ms at 16 kHz). */
size_t el_device_mic_frame_samples(const el_device_t *d);
/* The DAC wants n samples now: fills `out` from the playback buffer (silence when dry) and
 * sends CREDIT when it is due (PROTOCOL.md section 4.5). Returns the samples that were audio. */
uint32_t el_device_play(el_device_t *d, int16_t *out, uint32_t n, uint32_t now_us);
void el_device_button(el_device_t *d, int down, uint32_t time_us);
void el_device_send(el_device_t *d, const el_msg_t *m);

#endif

/*
 * The board's application logic, without FreeRTOS or ESP-IDF: which link carries the session
 * (USB serial or WebSocket), microphone frames, the speaker, the button's debounce, the status
 * LED's patterns and the tools the board offers. The ESP32 firmware (main/main.c) and the Linux
 * board (host/) both run this code and differ only in their glue: the board gives it a struct
 * of callbacks and calls it from its tasks or its event loop (never from two at once: the ESP32
 * glue holds a mutex around every call). Portable C99, no allocation.
 */
#ifndef EL_APP_H
#define EL_APP_H

#include <stddef.h>
#include <stdint.h>

#include "el_device.h"
#include "el_wire.h"

typedef enum { EL_LINK_SERIAL = 0, EL_LINK_WEBSOCKET = 1 } el_link_t;

/* What the application needs from the board. */
typedef struct {
    /* Bytes to the host on one link: COBS frames on serial, one message per call on a WebSocket. */
    void (*send)(void *ctx, el_link_t link, const uint8_t *bytes, size_t len);
    uint32_t (*now_us)(void);                  /* a monotonic microsecond clock (wraps) */
    void (*set_led)(void *ctx, int on);         /* drives the status LED */
    int (*read_gpio)(void *ctx, int pin);       /* 0 or 1, or -1 if there is no such pin */
    el_settings_t settings;                     /* non-volatile settings (NVS, a file, memory) */
    /* Optional: sees every message from the host before it is handled (a log, a test board). */
    void (*observe)(void *ctx, el_link_t link, const el_msg_t *m);
    void *ctx;
} el_board_t;

/* What the board is: filled in by the board before el_app_init. */
typedef struct {
    const char *device_id, *name, *firmware_version;
    uint32_t features;              /* EL_FEATURE_* */
    uint16_t max_message_bytes;     /* EL_MIN_MESSAGE_BYTES … EL_MAX_MESSAGE_BYTES */
    el_format_t mic, speaker;
} el_app_config_t;

/* Debounce: a level must hold for this many samples (5 ms apart) to count: 20 ms. */
#define EL_BUTTON_STABLE_SAMPLES 4
#define EL_APP_TICK_MS 100          /* el_app_tick's period: LED pattern steps and HELLO resends */
#define EL_APP_TOOL_COUNT 2

typedef struct {
    el_device_t dev;
    el_playback_t playback;
    el_framer_t serial_framer;
    el_board_t board;
    el_link_t active_link;
    int websocket_up;
    int led_override;               /* -1: the state pattern; 0/1: forced by the set_led tool */
    int led_level;
    uint8_t led_step;
    uint8_t button_down, button_count;
    el_tool_t tools[EL_APP_TOOL_COUNT];
} el_app_t;

/* `ring` holds the playback buffer: `ring_samples` samples at the speaker rate. */
void el_app_init(el_app_t *a, const el_board_t *board, const el_app_config_t *config, int16_t *ring, uint32_t ring_samples);

/* A link came up (the serial port opened, the WebSocket connected) or went away. */
void el_app_link_up(el_app_t *a, el_link_t link);
void el_app_link_down(el_app_t *a, el_link_t link);
/* Bytes from the host: any chunk of the serial stream, or one whole WebSocket message. */
void el_app_receive(el_app_t *a, el_link_t link, const uint8_t *bytes, size_t len);

/* Samples the next microphone frame needs (s16 mono at the mic rate), and the frame itself. */
size_t el_app_mic_frame_samples(const el_app_t *a);
void el_app_mic_frame(el_app_t *a, const int16_t *samples, size_t n, uint32_t capture_time_us);
/* The speaker wants n samples now (s16 mono at the speaker rate); returns how many were audio. */
uint32_t el_app_speaker(el_app_t *a, int16_t *out, uint32_t n);

/* The button's raw level, sampled every 5 ms (1 = pressed); debounced here. */
void el_app_button_sample(el_app_t *a, int pressed);
/* Every EL_APP_TICK_MS: steps the LED pattern and resends HELLO while unanswered. */
void el_app_tick(el_app_t *a);

/* The LED's level for an assistant state at one of 10 pattern steps (one per tick). */
int el_led_pattern(uint8_t assistant_state, uint8_t step);

#endif

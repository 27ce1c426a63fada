/*
 * esp-live-board: the firmware's application (components/esp_live_app and esp_live_core, the
 * same code the ESP32 runs) as a Linux program, a second board beside the TypeScript simulator
 * that follows PROTOCOL.md as the C code does. Its glue stands in for the ESP32's peripherals:
 *
 *   link        a serial port (one end of a socat pty pair), paced at the UART's byte rate;
 *               when the port goes away (the cable is pulled) it waits for it to come back;
 *               and/or a WebSocket to the bridge with the board's token (ws_client.c)
 *   microphone  a 16-bit mono WAV file at the mic rate, played at real-time pace on `speak`,
 *               silence otherwise (a real microphone never stops)
 *   speaker     pulled at real-time pace like an I2S DMA (10 ms at a time, CLOCK_MONOTONIC);
 *               every sample taken from the playback buffer is appended to a WAV file
 *   button, GPIOs, LED, settings   driven and reported on the control channel, kept in memory
 *
 * Control, one command per line on stdin: speak FILE.wav | press | release | gpio PIN LEVEL |
 * noise (a boot log and damaged frames on the link) | stats | quit. Events, one per line on
 * stdout: ready, link up|down, ws up|down, welcome SESSION MIC_CODEC SPEAKER_CODEC FRAME_MS REVISION,
 * state N, flush GENERATION played=SAMPLES, reply-end GENERATION played=… buffered=…, underrun
 * played=SAMPLES, volume PERCENT, tool NAME,
 * led 0|1, error CODE MESSAGE, goodbye REASON, hello-request, spoke (the WAV ran out),
 * stats KEY=VALUE…
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "el_app.h"
#include "uart_pty.h"
#include "wav_file.h"
#include "ws_client.h"

#define TICK_US 5000u
#define MAX_MIC_FRAME 2048u

typedef struct {
    const char *serial_path, *speaker_path, *device_id, *name, *ws_url, *token;
    uint32_t baud, buffer_samples, mic_rate_hz, speaker_rate_hz;
    uint16_t max_message_bytes;
    uint8_t mic_codecs, speaker_codecs;
} options_t;

static el_app_t app;
static host_uart_t uart;
static host_ws_t ws;
static host_wav_writer_t speaker_wav;
static host_wav_t mic_wav;
static size_t mic_at;
static int speaking, button_pressed;
static uint8_t gpio_levels[40];
static char settings[EL_CONFIG_KEY_COUNT + 1][100];
static int settings_len[EL_CONFIG_KEY_COUNT + 1];
static uint64_t audio_samples_played, messages_in;

static uint64_t monotonic_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint32_t now_us(void) {
    return (uint32_t)monotonic_us();
}

static void event(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void event(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

/* ---- The board's callbacks ------------------------------------------------------------------ */

static void send_bytes(void *ctx, el_link_t link, const uint8_t *bytes, size_t len) {
    (void)ctx;
    if (link == EL_LINK_SERIAL) host_uart_write(&uart, bytes, len);
    else if (host_ws_send(&ws, bytes, len) != 0) host_ws_close(&ws); /* noticed by the loop */
}

static void set_led(void *ctx, int on) {
    (void)ctx;
    event("led %d", on);
}

static int read_gpio(void *ctx, int pin) {
    (void)ctx;
    return pin >= 0 && pin < (int)sizeof gpio_levels ? gpio_levels[pin] : -1;
}

static int setting_set(void *ctx, uint8_t key, const uint8_t *value, size_t len) {
    (void)ctx;
    if (key < 1 || key > EL_CONFIG_KEY_COUNT || len >= sizeof settings[0]) return -1;
    memcpy(settings[key], value, len);
    settings_len[key] = len ? (int)len : -1;
    return 0;
}

static int setting_get(void *ctx, uint8_t key, uint8_t *buf, size_t cap) {
    (void)ctx;
    if (key < 1 || key > EL_CONFIG_KEY_COUNT || settings_len[key] < 0 || (size_t)settings_len[key] > cap) return -1;
    memcpy(buf, settings[key], (size_t)settings_len[key]);
    return settings_len[key];
}

/* The host's words for a terminal: anything but printable ASCII becomes '?'. */
static void printable(el_bytes_t b, char *out, size_t cap) {
    size_t n = 0;
    for (uint16_t i = 0; i < b.len && n < cap - 1; i++) out[n++] = b.ptr[i] >= 0x20 && b.ptr[i] < 0x7F ? (char)b.ptr[i] : '?';
    out[n] = 0;
}

static void observe(void *ctx, el_link_t link, const el_msg_t *m) {
    (void)ctx;
    (void)link;
    messages_in++;
    switch (m->type) {
    case EL_MSG_WELCOME:
        event("welcome %u %u %u %u %u", (unsigned)m->u.welcome.session_id, m->u.welcome.mic_codec, m->u.welcome.speaker_codec, m->u.welcome.frame_ms,
              m->u.welcome.protocol_revision.value);
        break;
    case EL_MSG_STATE: event("state %u", m->u.state.state); break;
    case EL_MSG_FLUSH: event("flush %u played=%llu", m->u.flush.generation, (unsigned long long)audio_samples_played); break;
    case EL_MSG_REPLY_END:
        event("reply-end %u played=%llu buffered=%u", m->u.reply_end.generation, (unsigned long long)audio_samples_played, (unsigned)app.playback.count);
        break;
    case EL_MSG_SET_VOLUME: event("volume %u", m->u.set_volume.volume_percent); break;
    case EL_MSG_TOOL_CALL: {
        char name[64];
        printable(m->u.tool_call.name, name, sizeof name);
        event("tool %s", name);
        break;
    }
    case EL_MSG_ERROR: {
        char text[160];
        printable(m->u.error.message, text, sizeof text);
        event("error %u %s", m->u.error.code, text);
        break;
    }
    case EL_MSG_GOODBYE: event("goodbye %u", m->u.goodbye.reason); break;
    case EL_MSG_HELLO_REQUEST: event("hello-request"); break;
    default: break;
    }
}

static void on_ws_message(void *ctx, const uint8_t *bytes, size_t len) {
    (void)ctx;
    el_app_receive(&app, EL_LINK_WEBSOCKET, bytes, len);
}

/* ---- Control channel ------------------------------------------------------------------------ */

static void print_stats(void) {
    const el_playback_t *p = &app.playback;
    const el_framer_t *f = &app.serial_framer;
    event("stats link_state=%d played=%llu released=%u underruns=%u overflows=%u stale=%u buffered=%u messages=%llu bad_crc=%u malformed=%u "
          "oversize=%u unknown=%u tx_dropped=%llu",
          (int)app.dev.state, (unsigned long long)audio_samples_played, (unsigned)p->released, p->underruns, p->overflows, p->stale_frames, (unsigned)p->count,
          (unsigned long long)messages_in, (unsigned)f->bad_crc, (unsigned)f->malformed, (unsigned)f->oversize, (unsigned)f->unknown,
          (unsigned long long)uart.tx_dropped);
}

/* Returns 0 to quit. */
static int command(char *line) {
    char *arg = strchr(line, ' ');
    if (arg) *arg++ = 0;
    if (strcmp(line, "speak") == 0 && arg) {
        char why[200];
        host_wav_free(&mic_wav);
        if (host_wav_read(arg, &mic_wav, why, sizeof why) != 0) {
            fprintf(stderr, "esp-live-board: %s\n", why);
            return 1;
        }
        if (mic_wav.rate_hz != app.dev.hello.u.hello.mic.sample_rate_hz)
            fprintf(stderr, "esp-live-board: %s is at %u Hz, the microphone at %u Hz: it will sound wrong\n", arg, (unsigned)mic_wav.rate_hz,
                    (unsigned)app.dev.hello.u.hello.mic.sample_rate_hz);
        mic_at = 0;
        speaking = 1;
    } else if (strcmp(line, "press") == 0) {
        button_pressed = 1;
    } else if (strcmp(line, "release") == 0) {
        button_pressed = 0;
    } else if (strcmp(line, "gpio") == 0 && arg) {
        int pin = atoi(arg);
        const char *level = strchr(arg, ' ');
        if (pin >= 0 && pin < (int)sizeof gpio_levels && level) gpio_levels[pin] = (uint8_t)(atoi(level) != 0);
    } else if (strcmp(line, "noise") == 0) {
        /* What a real board's UART can carry besides frames: a boot log, a frame damaged on the
         * line, a run of bytes with no delimiter in sight. The host must drop them and go on. */
        static const char boot[] = "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET),boot:0x13\r\n";
        static uint8_t junk[3000], frame[64];
        el_msg_t ping = { .type = EL_MSG_PING };
        ping.u.ping.nonce = 1;
        long n = el_frame_encode(&ping, frame, sizeof frame);
        frame[3] ^= 0x40;
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(i % 255 + 1);
        host_uart_write(&uart, (const uint8_t *)boot, sizeof boot - 1);
        host_uart_write(&uart, (const uint8_t *)"", 1);
        host_uart_write(&uart, frame, (size_t)n);
        host_uart_write(&uart, junk, sizeof junk);
        host_uart_write(&uart, (const uint8_t *)"", 1);
    } else if (strcmp(line, "stats") == 0) {
        print_stats();
    } else if (strcmp(line, "quit") == 0) {
        return 0;
    } else if (line[0]) {
        fprintf(stderr, "esp-live-board: unknown command '%s'\n", line);
    }
    return 1;
}

/* ---- Options ---------------------------------------------------------------------------------- */

static const char USAGE[] =
    "usage: esp-live-board [--serial PATH] [--ws URL --token TOKEN] [--speaker-wav FILE] [--baud N] [--buffer-samples N]\n"
    "         [--max-message-bytes N] [--mic-rate HZ] [--speaker-rate HZ] [--mic-codecs MASK]\n"
    "         [--speaker-codecs MASK] [--device-id ID] [--name NAME]\n"
    "The firmware's application on Linux, a board for end-to-end tests: on a serial port, a\n"
    "WebSocket (ws:// only), or both, as the ESP32 is. Defaults: 921600 baud\n"
    "(0: unpaced), 3200 samples (200 ms), 2048 bytes, 16000 Hz both ways, codec mask 0x0F.\n"
    "Commands on stdin and events on stdout: see the top of firmware/host/board.c.\n";

static int parse(int argc, char **argv, options_t *o) {
    *o = (options_t){ NULL, NULL, "c-board", "C board", NULL, NULL, 921600, 3200, 16000, 16000, EL_MAX_MESSAGE_BYTES, EL_CODECS_ALL, EL_CODECS_ALL };
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return -1;
        unsigned long n = strtoul(v, NULL, 0);
        if (strcmp(k, "--serial") == 0) o->serial_path = v;
        else if (strcmp(k, "--speaker-wav") == 0) o->speaker_path = v;
        else if (strcmp(k, "--device-id") == 0) o->device_id = v;
        else if (strcmp(k, "--name") == 0) o->name = v;
        else if (strcmp(k, "--ws") == 0) o->ws_url = v;
        else if (strcmp(k, "--token") == 0) o->token = v;
        else if (strcmp(k, "--baud") == 0) o->baud = (uint32_t)n;
        else if (strcmp(k, "--buffer-samples") == 0 && n > 0 && n <= 48000 * 4) o->buffer_samples = (uint32_t)n;
        else if (strcmp(k, "--max-message-bytes") == 0 && n <= 0xFFFF) o->max_message_bytes = (uint16_t)n;
        else if (strcmp(k, "--mic-rate") == 0 && n >= 8000 && n <= 48000) o->mic_rate_hz = (uint32_t)n;
        else if (strcmp(k, "--speaker-rate") == 0 && n > 0 && n <= 192000) o->speaker_rate_hz = (uint32_t)n;
        else if (strcmp(k, "--mic-codecs") == 0 && n <= 0xFF) o->mic_codecs = (uint8_t)n;
        else if (strcmp(k, "--speaker-codecs") == 0 && n <= 0xFF) o->speaker_codecs = (uint8_t)n;
        else return -1;
        i++;
    }
    return (o->serial_path || o->ws_url) && (!o->ws_url || o->token) ? 0 : -1;
}

/* ---- The event loop --------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    options_t o;
    if (parse(argc, argv, &o) != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    static int16_t ring[48000 * 4];
    static int16_t mic_frame[MAX_MIC_FRAME], speaker_chunk[48000 / 100];
    static uint8_t rx[4096];
    static char line[1024];
    size_t line_len = 0;
    for (int k = 0; k <= (int)EL_CONFIG_KEY_COUNT; k++) settings_len[k] = -1;
    if (o.speaker_path && host_wav_create(&speaker_wav, o.speaker_path, o.speaker_rate_hz) != 0) {
        fprintf(stderr, "esp-live-board: cannot write %s\n", o.speaker_path);
        return 1;
    }
    const el_board_t board = { send_bytes, now_us, set_led, read_gpio, { setting_set, setting_get, NULL }, observe, NULL };
    const el_app_config_t config = {
        .device_id = o.device_id,
        .name = o.name,
        .firmware_version = "0.1.0-linux",
        .features = EL_FEATURE_BUTTON | EL_FEATURE_LED | EL_FEATURE_VOLUME,
        .max_message_bytes = o.max_message_bytes,
        .mic = { o.mic_rate_hz, EL_SAMPLE_S16LE, 1, o.mic_codecs },
        .speaker = { o.speaker_rate_hz, EL_SAMPLE_S16LE, 1, o.speaker_codecs },
    };
    el_app_init(&app, &board, &config, ring, o.buffer_samples);
    host_uart_init(&uart, o.baud);
    host_ws_init(&ws);
    event("ready");

    const uint64_t start = monotonic_us();
    uint64_t last = start, mic_due_at = start, speaker_samples = 0, button_at = start, tick_at = start, reopen_at = start, ws_at = start;
    int ws_up = 0;
    int running = 1;
    while (running) {
        if (o.ws_url && !ws_up && monotonic_us() >= ws_at) {
            char why[160];
            if (host_ws_connect(&ws, o.ws_url, o.token, 2000, why, sizeof why) == 0) {
                ws_up = 1;
                event("ws up");
                el_app_link_up(&app, EL_LINK_WEBSOCKET);
            } else {
                fprintf(stderr, "esp-live-board: %s\n", why);
                ws_at = monotonic_us() + 2000000u;
            }
        }
        if (ws_up && host_ws_poll(&ws, on_ws_message, NULL) != 0) {
            /* As the ESP32 glue does: reconnect in 2 s, or 30 s after the host refused it (section 5). */
            ws_at = monotonic_us() + (app.dev.state == EL_STATE_REFUSED ? 30000000u : 2000000u);
            host_ws_close(&ws);
            ws_up = 0;
            event("ws down");
            el_app_link_down(&app, EL_LINK_WEBSOCKET);
        }
        if (o.serial_path && uart.fd < 0 && monotonic_us() >= reopen_at) {
            reopen_at = monotonic_us() + 100000u; /* the cable: look for the port every 100 ms */
            if (host_uart_open(&uart, o.serial_path) == 0) {
                event("link up");
                el_app_link_up(&app, EL_LINK_SERIAL);
            }
        }
        struct pollfd fds[1] = { { STDIN_FILENO, POLLIN, 0 } };
        if (poll(fds, 1, (int)(TICK_US / 1000)) > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(STDIN_FILENO, line + line_len, sizeof line - 1 - line_len);
            if (n <= 0) break; /* stdin closed: the test is gone */
            line_len += (size_t)n;
            char *nl;
            while (running && (nl = memchr(line, '\n', line_len)) != NULL) {
                *nl = 0;
                running = command(line);
                line_len -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, line_len);
            }
            if (line_len == sizeof line - 1) line_len = 0; /* a line too long to be a command */
        }
        uint64_t now = monotonic_us();

        /* The link, both ways, at the UART's pace. */
        long got = host_uart_pump(&uart, now - last, rx, sizeof rx);
        last = now;
        if (got > 0) el_app_receive(&app, EL_LINK_SERIAL, rx, (size_t)got);
        else if (got < 0 && uart.fd >= 0) {
            host_uart_close(&uart);
            event("link down");
            el_app_link_down(&app, EL_LINK_SERIAL);
        }

        /* The button's GPIO, sampled every 5 ms. */
        for (; button_at + TICK_US <= now; button_at += TICK_US) el_app_button_sample(&app, button_pressed);

        /* The microphone: one frame whenever a frame's worth of time has passed. */
        for (;;) {
            size_t n = el_app_mic_frame_samples(&app);
            if (n > MAX_MIC_FRAME) n = MAX_MIC_FRAME;
            uint64_t frame_us = (uint64_t)n * 1000000u / o.mic_rate_hz;
            if (mic_due_at + frame_us > now) break;
            for (size_t i = 0; i < n; i++) mic_frame[i] = speaking && mic_at < mic_wav.count ? mic_wav.samples[mic_at++] : 0;
            if (speaking && mic_at >= mic_wav.count) {
                speaking = 0;
                event("spoke");
            }
            el_app_mic_frame(&app, mic_frame, n, (uint32_t)mic_due_at);
            mic_due_at += frame_us;
        }

        /* The speaker: the DAC takes samples at its rate, 10 ms at a time. */
        const uint32_t chunk = o.speaker_rate_hz / 100;
        while ((speaker_samples + chunk) * 1000000u / o.speaker_rate_hz <= now - start) {
            uint16_t underruns = app.playback.underruns;
            uint32_t audio = el_app_speaker(&app, speaker_chunk, chunk);
            if (app.playback.underruns != underruns) event("underrun played=%llu", (unsigned long long)(audio_samples_played + audio));
            host_wav_append(&speaker_wav, speaker_chunk, audio);
            audio_samples_played += audio;
            speaker_samples += chunk;
        }

        for (; tick_at + EL_APP_TICK_MS * 1000u <= now; tick_at += EL_APP_TICK_MS * 1000u) el_app_tick(&app);
    }
    print_stats();
    host_uart_close(&uart);
    host_ws_close(&ws);
    host_wav_close(&speaker_wav);
    host_wav_free(&mic_wav);
    return 0;
}

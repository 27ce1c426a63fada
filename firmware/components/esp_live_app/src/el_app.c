/* The board's application: links, audio and the device core joined. See el_app.h. */
#include "el_app_parts.h"

#include <string.h>

static el_bytes_t text(const char *s) {
    el_bytes_t b = { (const uint8_t *)s, (uint16_t)(s ? strlen(s) : 0) };
    return b;
}

/* The device core's output goes to the link the session is on. */
static void send_active(void *ctx, const uint8_t *bytes, size_t len) {
    el_app_t *a = ctx;
    a->board.send(a->board.ctx, a->active_link, bytes, len);
}

static void on_state(void *ctx, uint8_t state) {
    el_app_t *a = ctx;
    (void)state;
    a->led_step = 0;
    el_app_tick_led(a);
}


void el_app_init(el_app_t *a, const el_board_t *board, const el_app_config_t *config, int16_t *ring, uint32_t ring_samples) {
    memset(a, 0, sizeof *a);
    a->board = *board;
    a->active_link = EL_LINK_SERIAL;
    a->led_override = -1;
    el_playback_init(&a->playback, ring, ring_samples, config->speaker.sample_rate_hz);
    el_framer_init(&a->serial_framer);
    a->serial_framer.max_message_bytes = config->max_message_bytes < EL_MAX_MESSAGE_BYTES ? config->max_message_bytes : EL_MAX_MESSAGE_BYTES;
    el_app_tools_init(a);
    el_device_t *d = &a->dev;
    d->send = send_active;
    d->send_ctx = a;
    d->serial = 1;
    d->playback = &a->playback;
    d->tools = a->tools;
    d->tool_count = EL_APP_TOOL_COUNT;
    d->settings = board->settings;
    d->on_state = on_state;
    d->on_state_ctx = a;
    d->now_us = board->now_us;
    el_device_init(d);
    el_msg_t *h = &d->hello;
    h->u.hello.features = config->features;
    h->u.hello.max_message_bytes = config->max_message_bytes;
    h->u.hello.mic = config->mic;
    h->u.hello.speaker = config->speaker;
    h->u.hello.device_id = text(config->device_id);
    h->u.hello.name = text(config->name);
    h->u.hello.firmware_version = text(config->firmware_version);
}

static void use_link(el_app_t *a, el_link_t link) {
    a->active_link = link;
    a->dev.serial = link == EL_LINK_SERIAL;
}

void el_app_link_up(el_app_t *a, el_link_t link) {
    if (link == EL_LINK_WEBSOCKET) a->websocket_up = 1;
    else if (a->websocket_up && a->active_link == EL_LINK_WEBSOCKET) return; /* the session stays on Wi-Fi */
    use_link(a, link);
    el_device_event(&a->dev, EL_EV_LINK_UP);
}

void el_app_link_down(el_app_t *a, el_link_t link) {
    if (link == EL_LINK_WEBSOCKET) a->websocket_up = 0;
    else { /* a half-received frame is gone with the cable */
        size_t max = a->serial_framer.max_message_bytes;
        el_framer_init(&a->serial_framer);
        a->serial_framer.max_message_bytes = max;
    }
    if (a->active_link != link) return;
    el_device_event(&a->dev, EL_EV_LINK_DOWN);
    use_link(a, EL_LINK_SERIAL);
}

static void handle(el_app_t *a, el_link_t link, const el_msg_t *m) {
    if (a->board.observe) a->board.observe(a->board.ctx, link, m);
    /* The host chooses a link by asking for a HELLO or welcoming on it; any other message is
     * answered where it came from, and the session stays where it is. */
    if (m->type == EL_MSG_HELLO_REQUEST || m->type == EL_MSG_WELCOME || link == EL_LINK_WEBSOCKET) use_link(a, link);
    el_link_t session = a->active_link;
    use_link(a, link);
    el_device_handle(&a->dev, m);
    use_link(a, session);
}

void el_app_receive(el_app_t *a, el_link_t link, const uint8_t *bytes, size_t len) {
    el_msg_t m;
    if (link == EL_LINK_WEBSOCKET) {
        if (el_decode(bytes, len, &m) == EL_OK) handle(a, link, &m);
        return;
    }
    for (size_t at = 0; at < len;) {
        size_t used;
        el_status_t s = el_framer_push(&a->serial_framer, bytes + at, len - at, &used, &m);
        at += used;
        if (s == EL_OK) handle(a, link, &m);
    }
}

size_t el_app_mic_frame_samples(const el_app_t *a) {
    return el_device_mic_frame_samples(&a->dev);
}

void el_app_mic_frame(el_app_t *a, const int16_t *samples, size_t n, uint32_t capture_time_us) {
    el_device_mic_frame(&a->dev, samples, n, capture_time_us);
}

uint32_t el_app_speaker(el_app_t *a, int16_t *out, uint32_t n) {
    return el_device_play(&a->dev, out, n, a->board.now_us());
}

void el_app_tick(el_app_t *a) {
    el_device_tick(&a->dev, EL_APP_TICK_MS);
    a->led_step = (uint8_t)((a->led_step + 1) % 10);
    el_app_tick_led(a);
}

/*
 * Tests of the board's application (components/esp_live_app) with a pretend board: which link
 * carries the session, the button's debounce, the LED's patterns and override, the tools'
 * arguments, and the speaker's credits. Host (ASan/UBSan) and QEMU rv32, like test_core.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_app.h"

#include "check.h"

/* The pretend board: what went out on each link, the LED, a clock, two GPIOs. */
static uint8_t sent[2][16384];
static size_t sent_len[2];
static int led = -1, led_changes;
static uint32_t clock_us;

static void board_send(void *ctx, el_link_t link, const uint8_t *bytes, size_t len) {
    (void)ctx;
    if (sent_len[link] + len <= sizeof sent[link]) memcpy(sent[link] + sent_len[link], bytes, len), sent_len[link] += len;
}
static uint32_t board_now(void) {
    return clock_us;
}
static void board_led(void *ctx, int on) {
    (void)ctx;
    led = on;
    led_changes++;
}
static int board_gpio(void *ctx, int pin) {
    (void)ctx;
    return pin == 4 ? 1 : pin == 5 ? 0 : -1;
}

/* The messages sent on a link since `*at`: serial frames or (WebSocket) one message per send is
 * not kept apart here, so WebSocket output is checked by its first byte only. */
static int next_serial(el_framer_t *f, size_t *at, el_msg_t *m) {
    while (*at < sent_len[EL_LINK_SERIAL]) {
        size_t used;
        el_status_t s = el_framer_push(f, sent[EL_LINK_SERIAL] + *at, sent_len[EL_LINK_SERIAL] - *at, &used, m);
        *at += used;
        if (s == EL_OK) return 1;
    }
    return 0;
}

static uint8_t frame[4096], plain[4096];

/* A message from the host on a link, encoded as that link carries it. */
static void from_host(el_app_t *a, el_link_t link, const el_msg_t *m) {
    long n = link == EL_LINK_SERIAL ? el_frame_encode(m, frame, sizeof frame) : el_encode(m, plain, sizeof plain);
    if (n > 0) el_app_receive(a, link, link == EL_LINK_SERIAL ? frame : plain, (size_t)n);
}

static el_msg_t welcome(void) {
    el_msg_t w;
    memset(&w, 0, sizeof w);
    w.type = EL_MSG_WELCOME;
    w.u.welcome.protocol_version = EL_PROTOCOL_VERSION;
    w.u.welcome.frame_ms = 20;
    w.u.welcome.protocol_revision = (el_opt_u8_t){ EL_PROTOCOL_REVISION, 1 };
    return w;
}

static el_msg_t tool_call(const char *name, const char *args) {
    el_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = EL_MSG_TOOL_CALL;
    m.u.tool_call.call_id = 7;
    m.u.tool_call.name = (el_bytes_t){ (const uint8_t *)name, (uint16_t)strlen(name) };
    m.u.tool_call.args_json = (el_bytes_t){ (const uint8_t *)args, (uint16_t)strlen(args) };
    return m;
}

int main(void) {
    static el_app_t app;
    static int16_t ring[3200];
    static el_framer_t f;
    el_framer_init(&f);
    const el_board_t board = { board_send, board_now, board_led, board_gpio, { NULL, NULL, NULL }, NULL, NULL };
    const el_app_config_t config = { "id", "test", "1", EL_FEATURE_BUTTON | EL_FEATURE_LED, 512,
                                     { 16000, EL_SAMPLE_S16LE, 1, 0x0F }, { 16000, EL_SAMPLE_S16LE, 1, 0x0F } };
    el_app_init(&app, &board, &config, ring, 3200);
    size_t at = 0;
    el_msg_t m;

    /* Links: HELLO on serial; the host welcomes on serial; a WebSocket HELLO_REQUEST moves it. */
    el_app_link_up(&app, EL_LINK_SERIAL);
    CHECK(sent[EL_LINK_SERIAL][0] == 0 && next_serial(&f, &at, &m) && m.type == EL_MSG_HELLO && m.u.hello.max_message_bytes == 512 &&
          m.u.hello.tool_count == EL_APP_TOOL_COUNT, "HELLO on serial, after a 0x00");
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_TOOL && next_serial(&f, &at, &m) && m.type == EL_MSG_TOOL, "and its two TOOLs");
    el_msg_t w = welcome();
    from_host(&app, EL_LINK_SERIAL, &w);
    CHECK(app.dev.state == EL_STATE_SESSION && next_serial(&f, &at, &m) && m.type == EL_MSG_CREDIT, "a session on serial");
    el_app_link_up(&app, EL_LINK_WEBSOCKET);
    CHECK(app.active_link == EL_LINK_WEBSOCKET && sent_len[EL_LINK_WEBSOCKET] > 0 && sent[EL_LINK_WEBSOCKET][0] == EL_MSG_HELLO,
          "the WebSocket comes up: HELLO there, unframed");
    el_msg_t ping = { .type = EL_MSG_PING };
    from_host(&app, EL_LINK_SERIAL, &ping);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_PONG && app.active_link == EL_LINK_WEBSOCKET, "a PING on serial is answered on serial; the session stays");
    el_app_link_down(&app, EL_LINK_WEBSOCKET);
    CHECK(app.active_link == EL_LINK_SERIAL && app.dev.state == EL_STATE_LINK_DOWN, "the WebSocket goes: back to serial, no session");
    el_msg_t hr = { .type = EL_MSG_HELLO_REQUEST };
    from_host(&app, EL_LINK_SERIAL, &hr);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_HELLO, "the host asks on serial: HELLO there");
    while (next_serial(&f, &at, &m)) {}
    from_host(&app, EL_LINK_SERIAL, &w);
    next_serial(&f, &at, &m);

    /* Larger messages than the board said it takes are dropped (oversize). */
    static uint8_t big_payload[600];
    el_msg_t big = { .type = EL_MSG_AUDIO_OUT };
    big.u.audio_out.payload = (el_bytes_t){ big_payload, sizeof big_payload };
    from_host(&app, EL_LINK_SERIAL, &big);
    CHECK(app.serial_framer.oversize == 1 && app.playback.count == 0, "a message over maxMessageBytes is dropped as oversize");

    /* Button: 20 ms (4 samples) of a level before it counts; a 10 ms glitch never does. */
    for (int i = 0; i < 2; i++) el_app_button_sample(&app, 1);
    for (int i = 0; i < 8; i++) el_app_button_sample(&app, 0);
    CHECK(!next_serial(&f, &at, &m), "a 10 ms glitch is no press");
    for (int i = 0; i < 3; i++) el_app_button_sample(&app, 1);
    CHECK(!next_serial(&f, &at, &m), "15 ms is not yet a press");
    el_app_button_sample(&app, 1);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_EVENT && m.u.event.event == EL_EVENT_BUTTON_DOWN, "20 ms: BUTTON_DOWN");
    for (int i = 0; i < 4; i++) el_app_button_sample(&app, 0);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_EVENT && m.u.event.event == EL_EVENT_BUTTON_UP, "then BUTTON_UP");

    /* LED: listening is steady on, thinking blinks, the set_led tool overrides. */
    el_msg_t st = { .type = EL_MSG_STATE };
    st.u.state.state = EL_ASSISTANT_LISTENING;
    from_host(&app, EL_LINK_SERIAL, &st);
    CHECK(led == 1, "listening: on");
    st.u.state.state = EL_ASSISTANT_THINKING;
    from_host(&app, EL_LINK_SERIAL, &st);
    int before = led_changes;
    for (int i = 0; i < 10; i++) el_app_tick(&app);
    CHECK(led_changes - before == 10, "thinking: blinks every 100 ms (%d changes)", led_changes - before);
    CHECK(el_led_pattern(EL_ASSISTANT_IDLE, 3) == 0 && el_led_pattern(99, 0) == 0, "idle and unknown states: off");

    /* Tools. */
    el_msg_t call = tool_call("set_led", "{\"on\": false}");
    from_host(&app, EL_LINK_SERIAL, &call);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_TOOL_RESULT && m.u.tool_result.status == EL_TOOL_OK && led == 0 &&
          m.u.tool_result.result_json.len == 13 && memcmp(m.u.tool_result.result_json.ptr, "{\"led\":\"off\"}", 13) == 0, "set_led off");
    before = led_changes;
    for (int i = 0; i < 10; i++) el_app_tick(&app);
    CHECK(led_changes == before && led == 0, "the override holds against the pattern");
    call = tool_call("set_led", "{\"on\":\"maybe\"}");
    from_host(&app, EL_LINK_SERIAL, &call);
    CHECK(next_serial(&f, &at, &m) && m.u.tool_result.status == EL_TOOL_ERROR, "set_led without a boolean: an error result");
    call = tool_call("read_gpio", "{\"pin\":4}");
    from_host(&app, EL_LINK_SERIAL, &call);
    CHECK(next_serial(&f, &at, &m) && m.u.tool_result.status == EL_TOOL_OK && m.u.tool_result.result_json.len == 19 &&
          memcmp(m.u.tool_result.result_json.ptr, "{\"pin\":4,\"level\":1}", 19) == 0, "read_gpio 4");
    call = tool_call("read_gpio", "{\"pin\":77}");
    from_host(&app, EL_LINK_SERIAL, &call);
    CHECK(next_serial(&f, &at, &m) && m.u.tool_result.status == EL_TOOL_ERROR, "no such pin: an error result");
    call = tool_call("read_gpio", "{}");
    from_host(&app, EL_LINK_SERIAL, &call);
    CHECK(next_serial(&f, &at, &m) && m.u.tool_result.status == EL_TOOL_ERROR, "no pin given: an error result");

    /* Microphone frame size follows the WELCOME. */
    CHECK(el_app_mic_frame_samples(&app) == 320, "20 ms at 16 kHz: 320 samples");
    static int16_t mic[320];
    el_app_mic_frame(&app, mic, 320, 5);
    CHECK(next_serial(&f, &at, &m) && m.type == EL_MSG_AUDIO_IN && m.u.audio_in.payload.len == 640, "one AUDIO_IN of 640 bytes");

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* The device core: the link state machine and message dispatch (PROTOCOL.md v1.1). See el_device.h. */
#include "el_device.h"

#include <string.h>

/* Until a WELCOME says otherwise, and when it says 0: the largest frame of section 3.1. */
#define DEFAULT_FRAME_MS 20u

/* ---- Link state machine (PROTOCOL.md section 5) ------------------------------------------- */

#define T(next, actions) { (uint8_t)(next), (uint8_t)(actions) }
#define AW EL_STATE_AWAIT_WELCOME
const el_transition_t EL_TRANSITIONS[EL_STATE_COUNT][EL_EV_COUNT] = {
    /*                 LINK_UP                              LINK_DOWN                       HELLO_REQUEST
                       WELCOME_OK                           WELCOME_BAD_VERSION             HELLO_TIMEOUT
                       GOODBYE                              GOODBYE_REFUSED */
    [EL_STATE_LINK_DOWN] = {
        T(AW, EL_DO_SEND_HELLO),                 T(EL_STATE_LINK_DOWN, 0),                  T(AW, EL_DO_SEND_HELLO),
        T(EL_STATE_LINK_DOWN, 0),                T(EL_STATE_LINK_DOWN, 0),                  T(EL_STATE_LINK_DOWN, 0),
        T(EL_STATE_LINK_DOWN, 0),                T(EL_STATE_LINK_DOWN, 0) },
    [EL_STATE_AWAIT_WELCOME] = {
        T(AW, EL_DO_SEND_HELLO),                 T(EL_STATE_LINK_DOWN, EL_DO_FLUSH),        T(AW, EL_DO_SEND_HELLO),
        T(EL_STATE_SESSION, EL_DO_START_SESSION), T(EL_STATE_REFUSED, EL_DO_REFUSE_VERSION), T(AW, EL_DO_SEND_HELLO),
        T(AW, EL_DO_FLUSH),                      T(EL_STATE_REFUSED, EL_DO_FLUSH) },
    [EL_STATE_SESSION] = {
        T(AW, EL_DO_FLUSH | EL_DO_SEND_HELLO),   T(EL_STATE_LINK_DOWN, EL_DO_FLUSH),        T(AW, EL_DO_FLUSH | EL_DO_SEND_HELLO),
        /* v1.1: a WELCOME in a session starts a new one (a HELLO crossed the host's WELCOME) */
        T(EL_STATE_SESSION, EL_DO_FLUSH | EL_DO_START_SESSION), T(EL_STATE_REFUSED, EL_DO_FLUSH | EL_DO_REFUSE_VERSION), T(EL_STATE_SESSION, 0),
        T(AW, EL_DO_FLUSH),                      T(EL_STATE_REFUSED, EL_DO_FLUSH) },
    [EL_STATE_REFUSED] = {
        T(AW, EL_DO_SEND_HELLO),                 T(EL_STATE_LINK_DOWN, 0),                  T(AW, EL_DO_SEND_HELLO),
        T(EL_STATE_REFUSED, 0),                  T(EL_STATE_REFUSED, 0),                    T(EL_STATE_REFUSED, 0),
        T(EL_STATE_REFUSED, 0),                  T(EL_STATE_REFUSED, 0) },
};
#undef AW

static el_bytes_t text(const char *s) {
    el_bytes_t b = { (const uint8_t *)s, (uint16_t)(s ? strlen(s) : 0) };
    return b;
}

void el_device_init(el_device_t *d) {
    d->state = EL_STATE_LINK_DOWN;
    d->volume_percent = 100;
    d->frame_ms = DEFAULT_FRAME_MS;
    d->hello.type = EL_MSG_HELLO;
    d->hello.u.hello.protocol_version = EL_PROTOCOL_VERSION;
    d->hello.u.hello.protocol_revision.value = EL_PROTOCOL_REVISION;
    d->hello.u.hello.protocol_revision.present = 1;
    d->hello.u.hello.tool_count = d->tool_count;
}

void el_device_send(el_device_t *d, const el_msg_t *m) {
    long n = d->serial ? el_frame_encode(m, d->out, sizeof d->out) : el_encode(m, d->out, sizeof d->out);
    if (n > 0) d->send(d->send_ctx, d->out, (size_t)n);
}

static void send_hello(el_device_t *d) {
    if (d->serial) {
        uint8_t zero = 0;
        d->send(d->send_ctx, &zero, 1); /* ends any boot-log bytes as one dropped frame */
    }
    d->hello.u.hello.tool_count = d->tool_count;
    d->hello.u.hello.playback_buffer_samples = d->playback ? d->playback->capacity : 0;
    el_device_send(d, &d->hello);
    for (uint8_t i = 0; i < d->tool_count; i++) {
        el_msg_t m;
        memset(&m, 0, sizeof m);
        m.type = EL_MSG_TOOL;
        m.u.tool.index = i;
        m.u.tool.name = text(d->tools[i].name);
        m.u.tool.description = text(d->tools[i].description);
        m.u.tool.parameters_schema = text(d->tools[i].parameters_schema);
        el_device_send(d, &m);
    }
    d->hello_elapsed_ms = 0;
}

static void send_credit(el_device_t *d) {
    if (!d->playback) return;
    el_msg_t m;
    el_playback_credit(d->playback, &m);
    el_device_send(d, &m);
    d->credit_released = d->playback->released;
    d->credit_at_us = d->now_us ? d->now_us() : 0;
}

static void send_error(el_device_t *d, uint16_t code, const char *message) {
    el_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = EL_MSG_ERROR;
    m.u.error.code = code;
    m.u.error.message = text(message);
    el_device_send(d, &m);
}

static void run(el_device_t *d, el_link_event_t ev, const el_msg_t *welcome) {
    el_transition_t t = EL_TRANSITIONS[d->state][ev];
    d->state = (el_link_state_t)t.next;
    if ((t.actions & EL_DO_FLUSH) && d->playback) el_playback_flush(d->playback, 0);
    if (t.actions & EL_DO_REFUSE_VERSION) {
        el_msg_t bye;
        memset(&bye, 0, sizeof bye);
        send_error(d, EL_ERROR_VERSION_MISMATCH, "the device speaks protocol version 1");
        bye.type = EL_MSG_GOODBYE;
        bye.u.goodbye.reason = EL_GOODBYE_VERSION_MISMATCH;
        el_device_send(d, &bye);
    }
    if ((t.actions & EL_DO_START_SESSION) && welcome) {
        d->session_id = welcome->u.welcome.session_id;
        d->mic_codec = welcome->u.welcome.mic_codec;
        d->speaker_codec = welcome->u.welcome.speaker_codec;
        d->frame_ms = welcome->u.welcome.frame_ms ? welcome->u.welcome.frame_ms : DEFAULT_FRAME_MS;
        d->revision = welcome->u.welcome.protocol_revision.value; /* absent: 0, a 1.0 host */
        d->mic_seq = 0;
        d->ima_index = 0;
        if (d->playback) {
            el_playback_reset(d->playback);
            d->playback->dry_counts_late = d->revision == 0;
        }
        send_credit(d);
    }
    if (t.actions & EL_DO_SEND_HELLO) send_hello(d);
}

void el_device_event(el_device_t *d, el_link_event_t ev) {
    run(d, ev, NULL);
}

void el_device_tick(el_device_t *d, uint32_t elapsed_ms) {
    if (d->state != EL_STATE_AWAIT_WELCOME) return;
    d->hello_elapsed_ms += elapsed_ms;
    if (d->hello_elapsed_ms >= EL_HELLO_RESEND_MS) run(d, EL_EV_HELLO_TIMEOUT, NULL);
}

static void on_audio_out(el_device_t *d, const el_msg_t *m) {
    int16_t *pcm = d->pcm;
    const size_t cap = sizeof d->pcm / sizeof d->pcm[0];
    const el_bytes_t *p = &m->u.audio_out.payload;
    long n = 0;
    switch (d->speaker_codec) {
    case EL_CODEC_ULAW: for (n = 0; n < p->len; n++) pcm[n] = el_mulaw_decode(p->ptr[n]); break;
    case EL_CODEC_ALAW: for (n = 0; n < p->len; n++) pcm[n] = el_alaw_decode(p->ptr[n]); break;
    case EL_CODEC_IMA_ADPCM: n = el_ima_decode(p->ptr, p->len, pcm, cap); break;
    default:
        if (d->hello.u.hello.speaker.sample_format == EL_SAMPLE_U8) {
            for (n = 0; n < p->len; n++) pcm[n] = (int16_t)((p->ptr[n] - 128) * 256);
        } else {
            for (n = 0; 2 * n + 1 < (long)p->len; n++) pcm[n] = (int16_t)(uint16_t)(p->ptr[2 * n] | (p->ptr[2 * n + 1] << 8));
        }
    }
    if (n < 0) {
        send_error(d, EL_ERROR_BAD_MESSAGE, "audio frame does not decode");
        return;
    }
    el_apply_gain_q15(pcm, (size_t)n, el_volume_gain_q15(d->volume_percent));
    uint32_t now = d->now_us ? d->now_us() : 0;
    if (el_playback_push(d->playback, m->u.audio_out.generation, pcm, (uint32_t)n, now) == EL_ERR_TOO_BIG)
        send_error(d, EL_ERROR_BUFFER_OVERFLOW, "AUDIO_OUT did not fit the playback buffer");
}

static void on_tool_call(el_device_t *d, const el_msg_t *m) {
    el_msg_t r;
    memset(&r, 0, sizeof r);
    r.type = EL_MSG_TOOL_RESULT;
    r.u.tool_result.call_id = m->u.tool_call.call_id;
    char *result = d->tool_result;
    const size_t result_cap = sizeof d->tool_result;
    const el_tool_t *tool = NULL;
    for (uint8_t i = 0; i < d->tool_count; i++) {
        if (strlen(d->tools[i].name) == m->u.tool_call.name.len && memcmp(d->tools[i].name, m->u.tool_call.name.ptr, m->u.tool_call.name.len) == 0) tool = &d->tools[i];
    }
    if (!tool) {
        r.u.tool_result.status = EL_TOOL_ERROR;
        r.u.tool_result.result_json = text("\"no such tool\"");
    } else {
        result[0] = 0;
        r.u.tool_result.status = (uint8_t)(tool->run(tool->ctx, (const char *)m->u.tool_call.args_json.ptr, m->u.tool_call.args_json.len, result, result_cap) ? EL_TOOL_ERROR : EL_TOOL_OK);
        result[result_cap - 1] = 0;
        r.u.tool_result.result_json = text(result);
    }
    el_device_send(d, &r);
}

/* PROTOCOL.md section 4.9: the most bytes of each key's value, and whether it is a secret. */
static const struct { uint8_t max_bytes, secret; } CONFIG_KEYS[EL_CONFIG_KEY_COUNT + 1] = {
    [EL_CONFIG_WIFI_SSID] = { 32, 0 }, [EL_CONFIG_WIFI_PASSWORD] = { 64, 1 }, [EL_CONFIG_HOST_URL] = { 96, 0 },
    [EL_CONFIG_DEVICE_TOKEN] = { 64, 1 }, [EL_CONFIG_DEVICE_NAME] = { 32, 0 },
};

/* "config key K: why" into d->error_text, without printf. */
static const char *config_error(el_device_t *d, uint8_t key, const char *why) {
    char *t = d->error_text;
    size_t n = 0;
    const char *head = "config key ";
    while (*head) t[n++] = *head++;
    if (key >= 100) t[n++] = (char)('0' + key / 100);
    if (key >= 10) t[n++] = (char)('0' + key / 10 % 10);
    t[n++] = (char)('0' + key % 10);
    t[n++] = ':';
    t[n++] = ' ';
    while (*why && n < sizeof d->error_text - 1) t[n++] = *why++;
    t[n] = 0;
    return t;
}

static void send_config_report(el_device_t *d) {
    el_msg_t r;
    memset(&r, 0, sizeof r);
    r.type = EL_MSG_CONFIG_REPORT;
    r.u.config_report.count = EL_CONFIG_KEY_COUNT; /* every key, in key order, set or not (v1.1) */
    for (uint8_t key = 1; key <= EL_CONFIG_KEY_COUNT; key++) {
        el_config_entry_t *e = &r.u.config_report.entries[key - 1];
        uint8_t *value = d->config_values[key - 1];
        int secret = CONFIG_KEYS[key].secret;
        int len = d->settings.get ? d->settings.get(d->settings.ctx, key, value, sizeof d->config_values[0]) : -1;
        e->key = key;
        e->flags = (uint8_t)((len >= 0 ? EL_CONFIG_FLAG_SET : 0) | (secret ? EL_CONFIG_FLAG_SECRET : 0));
        e->value.ptr = value;
        e->value.len = (uint16_t)(len > 0 && !secret ? len : 0);
    }
    el_device_send(d, &r);
}

/* CONFIG_SET is answered with a CONFIG_REPORT, or ERROR CONFIG_INVALID naming the key (4.9). */
static void on_config_set(el_device_t *d, const el_msg_t *m) {
    uint8_t key = m->u.config_set.key;
    const el_bytes_t *v = &m->u.config_set.value;
    const char *why = NULL;
    if (key < 1 || key > EL_CONFIG_KEY_COUNT) why = "no such key";
    else if (v->len > CONFIG_KEYS[key].max_bytes) why = "value too long";
    else if (!d->settings.set || d->settings.set(d->settings.ctx, key, v->ptr, v->len) != 0) why = "could not be stored";
    if (why) send_error(d, EL_ERROR_CONFIG_INVALID, config_error(d, key, why));
    else send_config_report(d);
}

/* What makes a WELCOME impossible to follow, for people, or NULL: a frame duration other than
 * section 3.1's, or a codec this board did not offer. */
static const char *welcome_problem(const el_device_t *d, const el_msg_t *m) {
    uint16_t ms = m->u.welcome.frame_ms;
    if (ms != 0 && ms != 20 && ms != 10 && ms != 5) return "WELCOME frameMs is not 20, 10 or 5";
    if (m->u.welcome.mic_codec > EL_CODEC_IMA_ADPCM || !(d->hello.u.hello.mic.codecs & EL_CODEC_BIT(m->u.welcome.mic_codec)))
        return "WELCOME micCodec is not one this device offered";
    if (m->u.welcome.speaker_codec > EL_CODEC_IMA_ADPCM || !(d->hello.u.hello.speaker.codecs & EL_CODEC_BIT(m->u.welcome.speaker_codec)))
        return "WELCOME speakerCodec is not one this device offered";
    return NULL;
}

void el_device_handle(el_device_t *d, const el_msg_t *m) {
    switch (m->type) {
    case EL_MSG_HELLO_REQUEST: run(d, EL_EV_HELLO_REQUEST, NULL); return;
    case EL_MSG_WELCOME: {
        const char *why = m->u.welcome.protocol_version == EL_PROTOCOL_VERSION ? welcome_problem(d, m) : NULL;
        if (!why) {
            run(d, m->u.welcome.protocol_version == EL_PROTOCOL_VERSION ? EL_EV_WELCOME_OK : EL_EV_WELCOME_BAD_VERSION, m);
            return;
        }
        /* A WELCOME this board cannot follow: refused the way the host refuses a HELLO (4.1). */
        el_msg_t bye;
        memset(&bye, 0, sizeof bye);
        send_error(d, EL_ERROR_UNSUPPORTED_FORMAT, why);
        bye.type = EL_MSG_GOODBYE;
        bye.u.goodbye.reason = EL_GOODBYE_ERROR;
        el_device_send(d, &bye);
        run(d, EL_EV_GOODBYE_REFUSED, NULL);
        return;
    }
    case EL_MSG_GOODBYE:
        /* reasons 2 and 3: the host refused this HELLO; asking again would only be refused again */
        run(d, m->u.goodbye.reason == EL_GOODBYE_ERROR || m->u.goodbye.reason == EL_GOODBYE_VERSION_MISMATCH ? EL_EV_GOODBYE_REFUSED : EL_EV_GOODBYE, NULL);
        return;
    case EL_MSG_CONFIG_SET: on_config_set(d, m); return;
    case EL_MSG_CONFIG_GET: send_config_report(d); return;
    case EL_MSG_PING: {
        el_msg_t r;
        memset(&r, 0, sizeof r);
        r.type = EL_MSG_PONG;
        r.u.pong.nonce = m->u.ping.nonce;
        r.u.pong.ping_time_us = m->u.ping.time_us;
        r.u.pong.time_us = d->now_us ? d->now_us() : m->u.ping.time_us;
        el_device_send(d, &r);
        return;
    }
    default: break;
    }
    if (d->state != EL_STATE_SESSION) {
        if (m->type == EL_MSG_AUDIO_OUT || m->type == EL_MSG_FLUSH || m->type == EL_MSG_TOOL_CALL) send_error(d, EL_ERROR_NOT_READY, "no session yet");
        return;
    }
    switch (m->type) {
    case EL_MSG_AUDIO_OUT: on_audio_out(d, m); break;
    case EL_MSG_FLUSH: el_playback_flush(d->playback, m->u.flush.generation); send_credit(d); break;
    case EL_MSG_REPLY_END: el_playback_end_reply(d->playback, m->u.reply_end.generation); break;
    case EL_MSG_SET_VOLUME: d->volume_percent = m->u.set_volume.volume_percent > 100 ? 100 : m->u.set_volume.volume_percent; break;
    case EL_MSG_STATE:
        d->assistant_state = m->u.state.state;
        /* A 1.0 host sends no REPLY_END: the end of speaking ends the reply (section 4.5). */
        if (d->revision == 0 && d->assistant_state != EL_ASSISTANT_SPEAKING) el_playback_end_reply(d->playback, d->playback->generation);
        if (d->on_state) d->on_state(d->on_state_ctx, d->assistant_state);
        break;
    case EL_MSG_TOOL_CALL: on_tool_call(d, m); break;
    default: break; /* unknown or not for a device: skipped */
    }
}

void el_device_mic_frame(el_device_t *d, const int16_t *samples, size_t n, uint32_t capture_time_us) {
    if (d->state != EL_STATE_SESSION) return;
    uint8_t *payload = d->payload;
    const size_t cap = sizeof d->payload;
    long len = 0;
    switch (d->mic_codec) {
    case EL_CODEC_ULAW: for (size_t i = 0; i < n && i < cap; i++) payload[len++] = el_mulaw_encode(samples[i]); break;
    case EL_CODEC_ALAW: for (size_t i = 0; i < n && i < cap; i++) payload[len++] = el_alaw_encode(samples[i]); break;
    case EL_CODEC_IMA_ADPCM: len = el_ima_encode(samples, n, &d->ima_index, payload, cap); break;
    default:
        for (size_t i = 0; i < n && 2 * i + 1 < cap; i++) {
            payload[len++] = (uint8_t)samples[i];
            payload[len++] = (uint8_t)((uint16_t)samples[i] >> 8);
        }
    }
    if (len <= 0) return;
    el_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = EL_MSG_AUDIO_IN;
    m.u.audio_in.seq = d->mic_seq++;
    m.u.audio_in.capture_time_us = capture_time_us;
    m.u.audio_in.payload.ptr = payload;
    m.u.audio_in.payload.len = (uint16_t)len;
    el_device_send(d, &m);
}

void el_device_button(el_device_t *d, int down, uint32_t time_us) {
    el_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = EL_MSG_EVENT;
    m.u.event.event = (uint8_t)(down ? EL_EVENT_BUTTON_DOWN : EL_EVENT_BUTTON_UP);
    m.u.event.time_us = time_us;
    el_device_send(d, &m);
}

size_t el_device_mic_frame_samples(const el_device_t *d) {
    /* round(rate × frameMs / 1000); an IMA ADPCM block holds an odd count (section 3) */
    size_t n = ((size_t)d->hello.u.hello.mic.sample_rate_hz * d->frame_ms + 500u) / 1000u;
    return d->mic_codec == EL_CODEC_IMA_ADPCM && n % 2 == 0 ? n + 1 : n;
}

uint32_t el_device_play(el_device_t *d, int16_t *out, uint32_t n, uint32_t now_us) {
    el_playback_t *p = d->playback;
    uint32_t took = el_playback_pull(p, out, n, now_us);
    if (d->state != EL_STATE_SESSION) return took;
    uint32_t frame = (d->hello.u.hello.speaker.sample_rate_hz * d->frame_ms + 500u) / 1000u;
    uint32_t unreported = p->released - d->credit_released;
    /* Section 4.5: a frame's worth released; every 100 ms while audio is buffered; and (rule 4,
     * v1.1) as soon as the buffer is empty, so the end of a reply is reported at once. */
    if (unreported >= frame || (p->count > 0 && now_us - d->credit_at_us >= EL_CREDIT_INTERVAL_MS * 1000u) || (p->count == 0 && unreported > 0)) {
        send_credit(d);
        d->credit_at_us = now_us;
    }
    return took;
}

/* esp-live wire protocol: see el_wire.h and firmware/PROTOCOL.md. */
#include "el_wire.h"

#include <stddef.h>
#include <string.h>

uint16_t el_crc16(const uint8_t *data, size_t len) {
    uint32_t crc = 0xFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)data[i] << 8;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000u) ? ((crc << 1) ^ 0x1021u) & 0xFFFFu : (crc << 1) & 0xFFFFu;
    }
    return (uint16_t)crc;
}

long el_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap) {
    size_t code_at = 0, out = 1;
    uint8_t code = 1;
    if (cap < 1) return EL_ERR_TOO_BIG;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == 0) {
            dst[code_at] = code;
            code_at = out++;
            code = 1;
            if (out > cap) return EL_ERR_TOO_BIG;
            continue;
        }
        if (out >= cap) return EL_ERR_TOO_BIG;
        dst[out++] = src[i];
        if (++code == 0xFF) {
            dst[code_at] = code;
            if (i == len - 1) return (long)out; /* a full block at the very end needs no code byte */
            code_at = out++;
            code = 1;
            if (out > cap) return EL_ERR_TOO_BIG;
        }
    }
    dst[code_at] = code;
    return (long)out;
}

long el_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap) {
    size_t i = 0, out = 0;
    while (i < len) {
        uint8_t code = src[i++];
        if (code == 0 || i + code - 1 > len) return EL_ERR_MALFORMED;
        for (uint8_t k = 1; k < code; k++) {
            if (src[i] == 0) return EL_ERR_MALFORMED;
            if (out >= cap) return EL_ERR_TOO_BIG;
            dst[out++] = src[i++];
        }
        if (code != 0xFF && i < len) {
            if (out >= cap) return EL_ERR_TOO_BIG;
            dst[out++] = 0;
        }
    }
    return (long)out;
}

/* ---------------------------------------------------------------------------------------- */
/* One table describes each message's fields in wire order; encoder and decoder walk it. */

/* F_OPT_U8: an el_opt_u8_t appended in a later revision (last in its message): decoded as absent
 * when the message ends before it, encoded only when present. */
typedef enum { F_U8, F_U16, F_U32, F_STR8, F_STR16, F_BYTES16, F_FORMAT, F_ENTRIES, F_OPT_U8, F_END } field_kind_t;
typedef struct { uint8_t kind; uint16_t offset; } field_t;

#define F(kind, member) { kind, (uint16_t)offsetof(el_msg_t, u.member) }
#define END { F_END, 0 }

static const field_t HELLO[] = { F(F_U16, hello.protocol_version), F(F_U32, hello.features), F(F_U32, hello.playback_buffer_samples),
    F(F_U16, hello.max_message_bytes), F(F_FORMAT, hello.mic), F(F_FORMAT, hello.speaker), F(F_U8, hello.tool_count),
    F(F_STR8, hello.device_id), F(F_STR8, hello.name), F(F_STR8, hello.firmware_version), F(F_OPT_U8, hello.protocol_revision), END };
static const field_t TOOL[] = { F(F_U8, tool.index), F(F_STR8, tool.name), F(F_STR16, tool.description), F(F_STR16, tool.parameters_schema), END };
static const field_t WELCOME[] = { F(F_U16, welcome.protocol_version), F(F_U32, welcome.session_id), F(F_U32, welcome.features),
    F(F_U8, welcome.mic_codec), F(F_U8, welcome.speaker_codec), F(F_U16, welcome.frame_ms), F(F_OPT_U8, welcome.protocol_revision), END };
static const field_t NONE[] = { END };
static const field_t AUDIO_IN[] = { F(F_U32, audio_in.seq), F(F_U32, audio_in.capture_time_us), F(F_BYTES16, audio_in.payload), END };
static const field_t AUDIO_OUT[] = { F(F_U32, audio_out.seq), F(F_U16, audio_out.generation), F(F_BYTES16, audio_out.payload), END };
static const field_t CREDIT[] = { F(F_U16, credit.generation), F(F_U32, credit.released_samples), F(F_U32, credit.played_samples),
    F(F_U32, credit.buffered_samples), F(F_U16, credit.underruns), F(F_U16, credit.overflows), F(F_U16, credit.stale_frames), END };
static const field_t FLUSH[] = { F(F_U16, flush.generation), END };
static const field_t REPLY_END[] = { F(F_U16, reply_end.generation), END };
static const field_t SET_VOLUME[] = { F(F_U8, set_volume.volume_percent), END };
static const field_t STATE[] = { F(F_U8, state.state), END };
static const field_t EVENT[] = { F(F_U8, event.event), F(F_U32, event.time_us), END };
static const field_t TOOL_CALL[] = { F(F_U16, tool_call.call_id), F(F_STR8, tool_call.name), F(F_STR16, tool_call.args_json), END };
static const field_t TOOL_RESULT[] = { F(F_U16, tool_result.call_id), F(F_U8, tool_result.status), F(F_STR16, tool_result.result_json), END };
static const field_t PING[] = { F(F_U32, ping.nonce), F(F_U32, ping.time_us), END };
static const field_t PONG[] = { F(F_U32, pong.nonce), F(F_U32, pong.ping_time_us), F(F_U32, pong.time_us), END };
static const field_t LOG[] = { F(F_U8, log.level), F(F_STR16, log.text), END };
static const field_t ERROR_[] = { F(F_U16, error.code), F(F_STR16, error.message), END };
static const field_t GOODBYE[] = { F(F_U8, goodbye.reason), END };
static const field_t CONFIG_SET[] = { F(F_U8, config_set.key), F(F_STR8, config_set.value), END };
static const field_t CONFIG_REPORT[] = { F(F_ENTRIES, config_report), END };

static const field_t *fields_of(uint8_t type) {
    switch (type) {
    case EL_MSG_HELLO: return HELLO;
    case EL_MSG_TOOL: return TOOL;
    case EL_MSG_WELCOME: return WELCOME;
    case EL_MSG_HELLO_REQUEST: return NONE;
    case EL_MSG_AUDIO_IN: return AUDIO_IN;
    case EL_MSG_AUDIO_OUT: return AUDIO_OUT;
    case EL_MSG_CREDIT: return CREDIT;
    case EL_MSG_REPLY_END: return REPLY_END;
    case EL_MSG_FLUSH: return FLUSH;
    case EL_MSG_SET_VOLUME: return SET_VOLUME;
    case EL_MSG_STATE: return STATE;
    case EL_MSG_EVENT: return EVENT;
    case EL_MSG_TOOL_CALL: return TOOL_CALL;
    case EL_MSG_TOOL_RESULT: return TOOL_RESULT;
    case EL_MSG_PING: return PING;
    case EL_MSG_PONG: return PONG;
    case EL_MSG_LOG: return LOG;
    case EL_MSG_ERROR: return ERROR_;
    case EL_MSG_GOODBYE: return GOODBYE;
    case EL_MSG_CONFIG_SET: return CONFIG_SET;
    case EL_MSG_CONFIG_GET: return NONE;
    case EL_MSG_CONFIG_REPORT: return CONFIG_REPORT;
    default: return NULL;
    }
}

typedef struct { const uint8_t *buf; size_t len, at; } reader_t;
typedef struct { uint8_t *buf; size_t cap, at; } writer_t;

static int rd(reader_t *r, size_t n, const uint8_t **p) {
    if (r->len - r->at < n) return 0;
    *p = r->buf + r->at;
    r->at += n;
    return 1;
}
static uint32_t le(const uint8_t *p, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static int wr(writer_t *w, const void *src, size_t n) {
    if (w->cap - w->at < n) return 0;
    if (n) memcpy(w->buf + w->at, src, n);
    w->at += n;
    return 1;
}
static int wr_le(writer_t *w, uint32_t v, int n) {
    uint8_t b[4];
    for (int i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    return wr(w, b, (size_t)n);
}

static int read_bytes(reader_t *r, int width, el_bytes_t *out) {
    const uint8_t *p;
    if (!rd(r, (size_t)width, &p)) return 0;
    uint16_t n = (uint16_t)le(p, width);
    if (!rd(r, n, &p)) return 0;
    out->ptr = p;
    out->len = n;
    return 1;
}

static int read_format(reader_t *r, el_format_t *f) {
    const uint8_t *p;
    if (!rd(r, 7, &p)) return 0;
    f->sample_rate_hz = le(p, 4);
    f->sample_format = p[4];
    f->channels = p[5];
    f->codecs = p[6];
    return 1;
}

el_status_t el_decode(const uint8_t *buf, size_t len, el_msg_t *out) {
    if (!buf || !out || len == 0) return EL_ERR_MALFORMED;
    const field_t *fields = fields_of(buf[0]);
    if (!fields) return EL_ERR_UNKNOWN;
    memset(out, 0, sizeof *out);
    out->type = buf[0];
    reader_t r = { buf, len, 1 };
    uint8_t *base = (uint8_t *)out;
    for (const field_t *f = fields; f->kind != F_END; f++) {
        void *dst = base + f->offset;
        const uint8_t *p;
        switch (f->kind) {
        case F_U8: if (!rd(&r, 1, &p)) return EL_ERR_MALFORMED; *(uint8_t *)dst = p[0]; break;
        case F_U16: if (!rd(&r, 2, &p)) return EL_ERR_MALFORMED; *(uint16_t *)dst = (uint16_t)le(p, 2); break;
        case F_U32: if (!rd(&r, 4, &p)) return EL_ERR_MALFORMED; *(uint32_t *)dst = le(p, 4); break;
        case F_STR8: if (!read_bytes(&r, 1, (el_bytes_t *)dst)) return EL_ERR_MALFORMED; break;
        case F_STR16:
        case F_BYTES16: if (!read_bytes(&r, 2, (el_bytes_t *)dst)) return EL_ERR_MALFORMED; break;
        case F_FORMAT: if (!read_format(&r, (el_format_t *)dst)) return EL_ERR_MALFORMED; break;
        case F_OPT_U8: {
            el_opt_u8_t *o = dst;
            o->present = (uint8_t)rd(&r, 1, &p);
            o->value = o->present ? p[0] : 0;
            break;
        }
        case F_ENTRIES: {
            if (!rd(&r, 1, &p)) return EL_ERR_MALFORMED;
            uint8_t count = p[0];
            if (count > EL_MAX_CONFIG_ENTRIES) return EL_ERR_TOO_BIG;
            out->u.config_report.count = count;
            for (uint8_t i = 0; i < count; i++) {
                el_config_entry_t *e = &out->u.config_report.entries[i];
                if (!rd(&r, 2, &p)) return EL_ERR_MALFORMED;
                e->key = p[0];
                e->flags = p[1];
                if (!read_bytes(&r, 1, &e->value)) return EL_ERR_MALFORMED;
            }
            break;
        }
        default: return EL_ERR_ARGUMENT;
        }
    }
    return EL_OK;
}

static int write_bytes(writer_t *w, int width, const el_bytes_t *b) {
    if (width == 1 && b->len > 0xFF) return 0;
    if (b->len && !b->ptr) return 0;
    return wr_le(w, b->len, width) && wr(w, b->ptr, b->len);
}

long el_encode(const el_msg_t *msg, uint8_t *buf, size_t cap) {
    if (!msg || !buf) return EL_ERR_ARGUMENT;
    const field_t *fields = fields_of(msg->type);
    if (!fields) return EL_ERR_UNKNOWN;
    writer_t w = { buf, cap < EL_MAX_MESSAGE_BYTES ? cap : EL_MAX_MESSAGE_BYTES, 0 };
    if (!wr_le(&w, msg->type, 1)) return EL_ERR_TOO_BIG;
    const uint8_t *base = (const uint8_t *)msg;
    for (const field_t *f = fields; f->kind != F_END; f++) {
        const void *src = base + f->offset;
        int ok = 1;
        switch (f->kind) {
        case F_U8: ok = wr_le(&w, *(const uint8_t *)src, 1); break;
        case F_U16: ok = wr_le(&w, *(const uint16_t *)src, 2); break;
        case F_U32: ok = wr_le(&w, *(const uint32_t *)src, 4); break;
        case F_STR8: ok = write_bytes(&w, 1, (const el_bytes_t *)src); break;
        case F_STR16:
        case F_BYTES16: ok = write_bytes(&w, 2, (const el_bytes_t *)src); break;
        case F_FORMAT: {
            const el_format_t *fm = (const el_format_t *)src;
            ok = wr_le(&w, fm->sample_rate_hz, 4) && wr_le(&w, fm->sample_format, 1) && wr_le(&w, fm->channels, 1) && wr_le(&w, fm->codecs, 1);
            break;
        }
        case F_OPT_U8: {
            const el_opt_u8_t *o = src;
            ok = !o->present || wr_le(&w, o->value, 1);
            break;
        }
        case F_ENTRIES: {
            uint8_t count = msg->u.config_report.count;
            if (count > EL_MAX_CONFIG_ENTRIES) return EL_ERR_ARGUMENT;
            ok = wr_le(&w, count, 1);
            for (uint8_t i = 0; ok && i < count; i++) {
                const el_config_entry_t *e = &msg->u.config_report.entries[i];
                ok = wr_le(&w, e->key, 1) && wr_le(&w, e->flags, 1) && write_bytes(&w, 1, &e->value);
            }
            break;
        }
        default: return EL_ERR_ARGUMENT;
        }
        if (!ok) return EL_ERR_TOO_BIG;
    }
    return (long)w.at;
}

long el_frame_encode(const el_msg_t *msg, uint8_t *buf, size_t cap) {
    uint8_t plain[EL_MAX_MESSAGE_BYTES + 2];
    long n = el_encode(msg, plain, EL_MAX_MESSAGE_BYTES);
    if (n < 0) return n;
    uint16_t crc = el_crc16(plain, (size_t)n);
    plain[n] = (uint8_t)crc;
    plain[n + 1] = (uint8_t)(crc >> 8);
    if (cap < 1) return EL_ERR_TOO_BIG;
    long m = el_cobs_encode(plain, (size_t)n + 2, buf, cap - 1);
    if (m < 0) return m;
    buf[m] = 0;
    return m + 1;
}

/* ---------------------------------------------------------------------------------------- */

void el_framer_init(el_framer_t *f) {
    memset(f, 0, sizeof *f);
    f->max_message_bytes = EL_MAX_MESSAGE_BYTES;
}

static el_status_t finish(el_framer_t *f, el_msg_t *out) {
    size_t n = f->fill;
    f->fill = 0;
    if (n == 0) return EL_MORE; /* empty frame between delimiters: ignored */
    long m = el_cobs_decode(f->raw, n, f->msg, sizeof f->msg);
    if (m < 3) {
        f->malformed++;
        return EL_ERR_MALFORMED;
    }
    size_t body = (size_t)m - 2;
    if (body > EL_MAX_MESSAGE_BYTES || body > f->max_message_bytes) {
        f->oversize++;
        return EL_ERR_TOO_BIG;
    }
    if (el_crc16(f->msg, body) != (uint16_t)(f->msg[body] | (f->msg[body + 1] << 8))) {
        f->bad_crc++;
        return EL_ERR_BAD_CRC;
    }
    el_status_t s = el_decode(f->msg, body, out);
    if (s == EL_ERR_UNKNOWN) f->unknown++;
    else if (s != EL_OK) f->malformed++;
    else f->frames++;
    return s;
}

el_status_t el_framer_push(el_framer_t *f, const uint8_t *data, size_t len, size_t *used, el_msg_t *out) {
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b != 0) {
            if (f->skipping) continue;
            if (f->fill >= EL_MAX_FRAME_BYTES - 1) {
                f->oversize++;
                f->skipping = 1;
                f->fill = 0;
                continue;
            }
            f->raw[f->fill++] = b;
            continue;
        }
        if (f->skipping) {
            f->skipping = 0;
            f->fill = 0;
            continue;
        }
        if (finish(f, out) == EL_OK) {
            *used = i + 1;
            return EL_OK;
        }
    }
    *used = len;
    return EL_MORE;
}

uint32_t el_payload_samples(uint16_t bytes, uint8_t codec, uint8_t sample_format, uint8_t channels) {
    if (channels == 0) return 0;
    switch (codec) {
    case EL_CODEC_PCM: return (uint32_t)bytes / ((sample_format == EL_SAMPLE_S16LE ? 2u : 1u) * channels);
    case EL_CODEC_ULAW:
    case EL_CODEC_ALAW: return (uint32_t)bytes / channels;
    case EL_CODEC_IMA_ADPCM: return bytes < 4 ? 0 : 1u + 2u * (bytes - 4u);
    default: return 0;
    }
}

/*
 * esp-live device protocol v1.1 (firmware/PROTOCOL.md): CRC-16, COBS, message codec and the
 * serial frame decoder. Portable C99: standard headers only, no allocation, caller buffers,
 * status codes.
 */
#ifndef EL_WIRE_H
#define EL_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Limits (PROTOCOL.md section 7, group Limit). */
#define EL_PROTOCOL_VERSION 1u    /* the major version */
#define EL_PROTOCOL_REVISION 1u   /* 1.1 */
#define EL_MAX_MESSAGE_BYTES 2048u
#define EL_MIN_MESSAGE_BYTES 256u
/* COBS(message + CRC) + delimiter: 2050 + 1 + 2050/254 + 1. */
#define EL_MAX_FRAME_BYTES 2060u
#define EL_MIN_SAMPLE_RATE_HZ 8000u
#define EL_MAX_SAMPLE_RATE_HZ 48000u
#define EL_MIN_BUFFER_MS 40u
#define EL_PREBUFFER_MS 60u
#define EL_CREDIT_INTERVAL_MS 100u
#define EL_PLAYOUT_MARGIN_MS 250u
#define EL_HELLO_RESEND_MS 2000u
#define EL_TOOLS_WAIT_MS 1000u
#define EL_MAX_DEVICE_ID_BYTES 64u
#define EL_MAX_NAME_BYTES 32u
#define EL_MAX_TOOL_NAME_BYTES 63u
#define EL_MAX_CONFIG_ENTRIES 8u

/* Named values of PROTOCOL.md (test_core.c checks them against its tables). */
typedef enum { EL_CODEC_PCM = 0, EL_CODEC_ULAW = 1, EL_CODEC_ALAW = 2, EL_CODEC_IMA_ADPCM = 3 } el_codec_t;
#define EL_CODEC_BIT(codec) (1u << (codec))
#define EL_CODECS_ALL (EL_CODEC_BIT(EL_CODEC_PCM) | EL_CODEC_BIT(EL_CODEC_ULAW) | EL_CODEC_BIT(EL_CODEC_ALAW) | EL_CODEC_BIT(EL_CODEC_IMA_ADPCM))
typedef enum { EL_SAMPLE_S16LE = 1, EL_SAMPLE_U8 = 2 } el_sample_format_t;
typedef enum {
    EL_FEATURE_BUTTON = 1u << 0, EL_FEATURE_LED = 1u << 1, EL_FEATURE_VOLUME = 1u << 2,
    EL_FEATURE_BATTERY = 1u << 3, EL_FEATURE_CAMERA = 1u << 4, EL_FEATURE_AEC = 1u << 5
} el_feature_t;
typedef enum {
    EL_ERROR_VERSION_MISMATCH = 1, EL_ERROR_BAD_MESSAGE = 2, EL_ERROR_UNSUPPORTED_FORMAT = 3,
    EL_ERROR_BUFFER_OVERFLOW = 4, EL_ERROR_CONFIG_INVALID = 5, EL_ERROR_TOOL_UNKNOWN = 6,
    EL_ERROR_NOT_READY = 7, EL_ERROR_INTERNAL = 8, EL_ERROR_NOT_ALLOWED = 9, EL_ERROR_TOOL_INVALID = 10
} el_error_code_t;
typedef enum {
    EL_CONFIG_WIFI_SSID = 1, EL_CONFIG_WIFI_PASSWORD = 2, EL_CONFIG_HOST_URL = 3, EL_CONFIG_DEVICE_TOKEN = 4,
    EL_CONFIG_DEVICE_NAME = 5
} el_config_key_t;
#define EL_CONFIG_KEY_COUNT 5u
enum { EL_CONFIG_FLAG_SET = 1, EL_CONFIG_FLAG_SECRET = 2 };
typedef enum {
    EL_ASSISTANT_IDLE = 0, EL_ASSISTANT_LISTENING = 1, EL_ASSISTANT_THINKING = 2, EL_ASSISTANT_SPEAKING = 3,
    EL_ASSISTANT_ERROR = 4, EL_ASSISTANT_CONNECTING = 5
} el_assistant_state_t;
typedef enum { EL_EVENT_BUTTON_DOWN = 1, EL_EVENT_BUTTON_UP = 2 } el_event_t;
typedef enum { EL_TOOL_OK = 0, EL_TOOL_ERROR = 1 } el_tool_status_t;
typedef enum { EL_LOG_DEBUG = 0, EL_LOG_INFO = 1, EL_LOG_WARN = 2, EL_LOG_ERROR = 3 } el_log_level_t;
typedef enum {
    EL_GOODBYE_SHUTDOWN = 0, EL_GOODBYE_RESTARTING = 1, EL_GOODBYE_ERROR = 2, EL_GOODBYE_VERSION_MISMATCH = 3,
    EL_GOODBYE_UNAUTHORISED = 4
} el_goodbye_reason_t;

typedef enum {
    EL_MORE = 1,            /* no complete message yet: feed more bytes */
    EL_OK = 0,
    EL_ERR_MALFORMED = -1,  /* shorter than its fields, or a length runs past the end */
    EL_ERR_UNKNOWN = -2,    /* a message type this version does not know (skip it) */
    EL_ERR_TOO_BIG = -3,    /* does not fit the buffer or the protocol's limit */
    EL_ERR_BAD_CRC = -4,
    EL_ERR_ARGUMENT = -5
} el_status_t;

typedef enum {
    EL_MSG_HELLO = 0x01, EL_MSG_TOOL = 0x02, EL_MSG_WELCOME = 0x03, EL_MSG_HELLO_REQUEST = 0x04,
    EL_MSG_AUDIO_IN = 0x10, EL_MSG_AUDIO_OUT = 0x11, EL_MSG_CREDIT = 0x12, EL_MSG_REPLY_END = 0x13,
    EL_MSG_FLUSH = 0x20, EL_MSG_SET_VOLUME = 0x21, EL_MSG_STATE = 0x22, EL_MSG_EVENT = 0x23,
    EL_MSG_TOOL_CALL = 0x30, EL_MSG_TOOL_RESULT = 0x31,
    EL_MSG_PING = 0x40, EL_MSG_PONG = 0x41,
    EL_MSG_LOG = 0x50, EL_MSG_ERROR = 0x51, EL_MSG_GOODBYE = 0x52,
    EL_MSG_CONFIG_SET = 0x60, EL_MSG_CONFIG_GET = 0x61, EL_MSG_CONFIG_REPORT = 0x62
} el_msg_type_t;

/* A string or payload: a view into a caller's buffer, not NUL-terminated. */
typedef struct {
    const uint8_t *ptr;
    uint16_t len;
} el_bytes_t;

typedef struct {
    uint32_t sample_rate_hz;
    uint8_t sample_format; /* 1 S16LE, 2 U8 */
    uint8_t channels;
    uint8_t codecs;        /* bit 1 << codec id */
} el_format_t;

typedef struct { uint8_t key, flags; el_bytes_t value; } el_config_entry_t;

/* A field appended in a later revision: absent in a message from an older sender. */
typedef struct { uint8_t value, present; } el_opt_u8_t;

typedef struct {
    uint8_t type; /* el_msg_type_t */
    union {
        struct { uint16_t protocol_version; uint32_t features, playback_buffer_samples; uint16_t max_message_bytes;
                 el_format_t mic, speaker; uint8_t tool_count; el_bytes_t device_id, name, firmware_version;
                 el_opt_u8_t protocol_revision; } hello;
        struct { uint8_t index; el_bytes_t name, description, parameters_schema; } tool;
        struct { uint16_t protocol_version; uint32_t session_id, features; uint8_t mic_codec, speaker_codec; uint16_t frame_ms;
                 el_opt_u8_t protocol_revision; } welcome;
        struct { uint32_t seq, capture_time_us; el_bytes_t payload; } audio_in;
        struct { uint32_t seq; uint16_t generation; el_bytes_t payload; } audio_out;
        struct { uint16_t generation; uint32_t released_samples, played_samples, buffered_samples;
                 uint16_t underruns, overflows, stale_frames; } credit;
        struct { uint16_t generation; } flush;
        struct { uint16_t generation; } reply_end;
        struct { uint8_t volume_percent; } set_volume;
        struct { uint8_t state; } state;
        struct { uint8_t event; uint32_t time_us; } event;
        struct { uint16_t call_id; el_bytes_t name, args_json; } tool_call;
        struct { uint16_t call_id; uint8_t status; el_bytes_t result_json; } tool_result;
        struct { uint32_t nonce, time_us; } ping;
        struct { uint32_t nonce, ping_time_us, time_us; } pong;
        struct { uint8_t level; el_bytes_t text; } log;
        struct { uint16_t code; el_bytes_t message; } error;
        struct { uint8_t reason; } goodbye;
        struct { uint8_t key; el_bytes_t value; } config_set;
        struct { uint8_t count; el_config_entry_t entries[EL_MAX_CONFIG_ENTRIES]; } config_report;
    } u;
} el_msg_t;

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): crc16("123456789") == 0x29B1. */
uint16_t el_crc16(const uint8_t *data, size_t len);

/* COBS: returns the encoded/decoded length, or a negative el_status_t. */
long el_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);
long el_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

/* Message codec. Decoded strings and payloads point into `buf`. Trailing bytes are ignored. */
el_status_t el_decode(const uint8_t *buf, size_t len, el_msg_t *out);
long el_encode(const el_msg_t *msg, uint8_t *buf, size_t cap);

/* Serial framing: COBS(message + CRC-16 LE) + 0x00. Returns the frame length or < 0. */
long el_frame_encode(const el_msg_t *msg, uint8_t *buf, size_t cap);

/* Streaming frame decoder: feed bytes in any chunking; complete messages come back. */
typedef struct {
    uint8_t raw[EL_MAX_FRAME_BYTES];
    uint8_t msg[EL_MAX_FRAME_BYTES];
    size_t fill;
    int skipping;
    size_t max_message_bytes; /* larger messages are dropped as oversize: EL_MAX_MESSAGE_BYTES, or less */
    uint32_t frames, bad_crc, oversize, malformed, unknown;
} el_framer_t;

void el_framer_init(el_framer_t *f);
/*
 * Consumes bytes from `data` until one message is complete (then returns EL_OK with *used set
 * and *out filled; its views point into the framer and stay valid until the next call) or the
 * input is used up (returns EL_MORE with *used == len). Damaged frames are counted.
 */
el_status_t el_framer_push(el_framer_t *f, const uint8_t *data, size_t len, size_t *used, el_msg_t *out);

/* Samples per channel carried by an audio payload (PROTOCOL.md section 3). */
uint32_t el_payload_samples(uint16_t bytes, uint8_t codec, uint8_t sample_format, uint8_t channels);

#endif

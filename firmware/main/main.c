/*
 * esp-live firmware: joins the board's peripherals (esp_live_glue) to the portable protocol
 * core (esp_live_core). The host talks on USB, or, once Wi-Fi, a token and (optionally) the
 * host's address are written over USB, on a WebSocket; whichever link the host spoke on last
 * carries the session. Settings live in NVS; nothing secret is compiled in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "driver/gpio.h"
#include "el_device.h"
#include "el_wire.h"
#include "esp_live_glue.h"
#include "esp_mac.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#define MIC_RATE_HZ 16000
#define PLAYBACK_MS 200

enum { LINK_USB, LINK_WIFI };

static el_device_t dev;
static el_playback_t playback;
static int16_t playback_ring[BOARD_SPK_RATE_HZ * PLAYBACK_MS / 1000];
static SemaphoreHandle_t lock;
static int active_link = LINK_USB;
static el_framer_t usb_framer;

static uint32_t now_us(void) {
    return (uint32_t)esp_timer_get_time();
}

static void send_bytes(void *ctx, const uint8_t *bytes, size_t len) {
    (void)ctx;
    if (active_link == LINK_WIFI) link_websocket_send(bytes, len);
#if BOARD_LINK_USB_SERIAL_JTAG
    else link_usb_serial_send(bytes, len);
#else
    else link_uart_send(bytes, len);
#endif
}

/* ---- Tools the assistant can use: the LED and reading a GPIO (the example to extend) ---- */

/* Where `needle` starts in the first `len` bytes of `text`, or NULL (memmem is not standard C). */
static const char *find(const char *text, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0) return text + i;
    return NULL;
}

static int tool_set_led(void *ctx, const char *args, size_t len, char *result, size_t cap) {
    (void)ctx;
    int on = find(args, len, "true") != NULL;
    status_led_set_override(on);
    snprintf(result, cap, "{\"led\":\"%s\"}", on ? "on" : "off");
    return 0;
}

static int tool_read_gpio(void *ctx, const char *args, size_t len, char *result, size_t cap) {
    (void)ctx;
    const char *p = find(args, len, "\"pin\"");
    if (!p) {
        snprintf(result, cap, "\"give the pin number, e.g. {\\\"pin\\\": 4}\"");
        return 1;
    }
    p = memchr(p, ':', len - (size_t)(p - args));
    int pin = p ? atoi(p + 1) : -1;
    if (pin < 0 || !GPIO_IS_VALID_GPIO(pin)) {
        snprintf(result, cap, "\"no such GPIO\"");
        return 1;
    }
    snprintf(result, cap, "{\"pin\":%d,\"level\":%d}", pin, gpio_get_level(pin));
    return 0;
}

static const el_tool_t TOOLS[] = {
    { "set_led", "Turn the board's status LED on or off.", "{\"type\":\"object\",\"properties\":{\"on\":{\"type\":\"boolean\"}},\"required\":[\"on\"]}", tool_set_led, NULL },
    { "read_gpio", "Read the level (0 or 1) of one of the board's GPIO pins.", "{\"type\":\"object\",\"properties\":{\"pin\":{\"type\":\"integer\"}},\"required\":[\"pin\"]}", tool_read_gpio, NULL },
};

/* ---- Links ---- */

static void handle_bytes(el_framer_t *framer, const uint8_t *bytes, size_t len, int link) {
    for (size_t at = 0; at < len;) {
        size_t used;
        el_msg_t m;
        el_status_t s = el_framer_push(framer, bytes + at, len - at, &used, &m);
        at += used;
        if (s != EL_OK) continue;
        xSemaphoreTake(lock, portMAX_DELAY);
        if (m.type == EL_MSG_HELLO_REQUEST || m.type == EL_MSG_WELCOME) active_link = link; /* the host chose this link */
        int saved = active_link;
        active_link = link; /* answers go back where the question came from */
        dev.serial = link == LINK_USB;
        el_device_handle(&dev, &m);
        active_link = saved;
        dev.serial = active_link == LINK_USB;
        xSemaphoreGive(lock);
    }
}

static void on_usb(const uint8_t *bytes, size_t len, void *ctx) {
    (void)ctx;
    handle_bytes(&usb_framer, bytes, len, LINK_USB);
}

static void on_ws(const uint8_t *bytes, size_t len, void *ctx) {
    (void)ctx;
    el_msg_t m;
    if (el_decode(bytes, len, &m) != EL_OK) return;
    xSemaphoreTake(lock, portMAX_DELAY);
    active_link = LINK_WIFI;
    dev.serial = 0;
    el_device_handle(&dev, &m);
    xSemaphoreGive(lock);
}

static void on_ws_up(int up, void *ctx) {
    (void)ctx;
    xSemaphoreTake(lock, portMAX_DELAY);
    if (up) {
        active_link = LINK_WIFI;
        dev.serial = 0;
        el_device_event(&dev, EL_EV_LINK_UP);
    } else if (active_link == LINK_WIFI) {
        el_device_event(&dev, EL_EV_LINK_DOWN);
        active_link = LINK_USB;
        dev.serial = 1;
    }
    xSemaphoreGive(lock);
}

static void start_wifi(void) {
    uint8_t ssid[33] = {0}, password[65] = {0}, token[65] = {0}, url[97] = {0};
    if (settings_nvs_get(NULL, 1, ssid, 32) <= 0 || settings_nvs_get(NULL, 4, token, 64) <= 0) return; /* USB only */
    settings_nvs_get(NULL, 2, password, 64);
    if (wifi_sta_connect((char *)ssid, (char *)password, 20000) != ESP_OK) return;
    if (settings_nvs_get(NULL, 3, url, 96) <= 0 && host_mdns_find((char *)url, sizeof url, 3000) != ESP_OK) return;
    link_websocket_start((char *)url, (char *)token, on_ws, NULL, on_ws_up);
}

/* ---- Audio tasks ---- */

static void mic_task(void *arg) {
    (void)arg;
    static int16_t frame[MIC_RATE_HZ / 50 + 1];
    for (;;) {
        /* IMA ADPCM blocks hold an odd number of samples: 321 for 20 ms at 16 kHz. */
        size_t want = MIC_RATE_HZ / 50 + (dev.mic_codec == 3 ? 1 : 0);
        size_t got = 0;
        while (got < want) got += mic_i2s_read(frame + got, want - got, BOARD_MIC_GAIN_BITS);
        xSemaphoreTake(lock, portMAX_DELAY);
        el_device_mic_frame(&dev, frame, got, now_us());
        xSemaphoreGive(lock);
    }
}

static void speaker_task(void *arg) {
    (void)arg;
    static int16_t chunk[BOARD_SPK_RATE_HZ / 100]; /* 10 ms */
    uint32_t last_credit_released = 0;
    int64_t last_credit_at = 0;
    for (;;) {
        xSemaphoreTake(lock, portMAX_DELAY);
        el_playback_pull(&playback, chunk, sizeof chunk / sizeof chunk[0], dev.assistant_state == 3);
        int64_t now = esp_timer_get_time();
        int due = dev.state == EL_STATE_SESSION && (playback.released - last_credit_released >= BOARD_SPK_RATE_HZ / 50 ||
                                                    (playback.count > 0 && now - last_credit_at > 100000));
        if (due) {
            el_msg_t credit;
            el_playback_credit(&playback, &credit);
            el_device_send(&dev, &credit);
            last_credit_released = playback.released;
            last_credit_at = now;
        }
        xSemaphoreGive(lock);
#if BOARD_SPK_BUILTIN_DAC
        speaker_dac_write(chunk, sizeof chunk / sizeof chunk[0]); /* blocks: the DAC sets the pace */
#else
        speaker_i2s_write(chunk, sizeof chunk / sizeof chunk[0]);
#endif
    }
}

static void on_button(int down, void *ctx) {
    (void)ctx;
    xSemaphoreTake(lock, portMAX_DELAY);
    el_device_button(&dev, down, now_us());
    xSemaphoreGive(lock);
}

static void on_state(void *ctx, uint8_t state) {
    (void)ctx;
    status_led_set_state(state);
}

#if !CONFIG_ESP_LIVE_BRINGUP_OFF
/* Bring-up (hardware/README.md): tone, then level meter, then loopback, before the bridge. */
static void bringup(void) {
    static int16_t buf[MIC_RATE_HZ / 50];
#if CONFIG_ESP_LIVE_BRINGUP_TONE
    uint32_t phase = 0;
#else
    int64_t sum = 0;
    int frames = 0;
    char line[64];
#endif
    for (;;) {
#if CONFIG_ESP_LIVE_BRINGUP_TONE
        for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++, phase++) {
            int32_t saw = (int32_t)((phase * 440u * 2u * 32768u / BOARD_SPK_RATE_HZ) % 65536u) - 32768; /* a triangle */
            buf[i] = (int16_t)((saw < 0 ? -saw : saw) / 2 - 8192);
        }
#else
        size_t got = mic_i2s_read(buf, sizeof buf / sizeof buf[0], BOARD_MIC_GAIN_BITS);
        for (size_t i = 0; i < got; i++) sum += (int64_t)buf[i] * buf[i];
        if (++frames == 25) {
            int level = 0; /* dBFS, rounded: 20 log10(rms / 32768) without libm */
            uint64_t ms = (uint64_t)(sum / (int64_t)(frames * (sizeof buf / sizeof buf[0])));
            while (ms < (1ull << 30) && level > -96) ms *= 10, level -= 10; /* 10 dB steps */
            snprintf(line, sizeof line, "mic level about %d dBFS\r\n", level);
            send_bytes(NULL, (const uint8_t *)line, strlen(line));
            sum = 0;
            frames = 0;
        }
#if !CONFIG_ESP_LIVE_BRINGUP_LOOPBACK
        continue;
#endif
#endif
#if BOARD_SPK_BUILTIN_DAC
        speaker_dac_write(buf, sizeof buf / sizeof buf[0]);
#else
        speaker_i2s_write(buf, sizeof buf / sizeof buf[0]);
#endif
    }
}
#endif

void app_main(void) {
    lock = xSemaphoreCreateMutex();
    ESP_ERROR_CHECK(settings_nvs_open());
    el_playback_init(&playback, playback_ring, sizeof playback_ring / sizeof playback_ring[0]);
    el_framer_init(&usb_framer);
    memset(&dev, 0, sizeof dev);
    dev.send = send_bytes;
    dev.serial = 1;
    dev.playback = &playback;
    dev.tools = TOOLS;
    dev.tool_count = sizeof TOOLS / sizeof TOOLS[0];
    dev.settings = (el_settings_t){ settings_nvs_set, settings_nvs_get, NULL };
    dev.on_state = on_state;
    dev.now_us = now_us;
    el_device_init(&dev);

    static char device_id[24], name[33];
    uint8_t mac[6] = {0};
    esp_read_mac(mac, ESP_MAC_WIFI_STA);
    snprintf(device_id, sizeof device_id, "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    int name_len = settings_nvs_get(NULL, 5, (uint8_t *)name, sizeof name - 1);
    if (name_len <= 0) strcpy(name, BOARD_NAME);
    el_msg_t *h = &dev.hello;
    h->u.hello.features = 1u /* button */ | 2u /* LED */ | 4u /* volume */;
    h->u.hello.max_message_bytes = EL_MAX_MESSAGE_BYTES;
    h->u.hello.mic = (el_format_t){ MIC_RATE_HZ, 1, 1, 0x0F };
#if BOARD_SPK_BUILTIN_DAC
    h->u.hello.speaker = (el_format_t){ BOARD_SPK_RATE_HZ, 2, 1, 0x01 }; /* U8 PCM: the host dithers */
#else
    h->u.hello.speaker = (el_format_t){ BOARD_SPK_RATE_HZ, 1, 1, 0x0F };
#endif
    h->u.hello.device_id = (el_bytes_t){ (const uint8_t *)device_id, (uint16_t)strlen(device_id) };
    h->u.hello.name = (el_bytes_t){ (const uint8_t *)name, (uint16_t)strlen(name) };
    h->u.hello.firmware_version = (el_bytes_t){ (const uint8_t *)"0.1.0", 5 };

    ESP_ERROR_CHECK(status_led_start(BOARD_LED_GPIO));
    ESP_ERROR_CHECK(button_start(BOARD_BUTTON_GPIO, on_button, NULL));
    ESP_ERROR_CHECK(mic_i2s_start(BOARD_MIC_BCLK, BOARD_MIC_WS, BOARD_MIC_DIN, MIC_RATE_HZ));
#if BOARD_SPK_BUILTIN_DAC
    ESP_ERROR_CHECK(speaker_dac_start(BOARD_SPK_RATE_HZ));
#else
    ESP_ERROR_CHECK(speaker_i2s_start(BOARD_SPK_BCLK, BOARD_SPK_WS, BOARD_SPK_DOUT, BOARD_SPK_RATE_HZ));
#endif
#if !CONFIG_ESP_LIVE_BRINGUP_OFF
    bringup();
#endif
#if BOARD_LINK_USB_SERIAL_JTAG
    ESP_ERROR_CHECK(link_usb_serial_start(on_usb, NULL));
#else
    ESP_ERROR_CHECK(link_uart_start(BOARD_UART_NUM, BOARD_UART_TX, BOARD_UART_RX, BOARD_UART_BAUD, on_usb, NULL));
#endif
    xSemaphoreTake(lock, portMAX_DELAY);
    el_device_event(&dev, EL_EV_LINK_UP); /* HELLO on USB; repeated every 2 s until a host answers */
    xSemaphoreGive(lock);
    xTaskCreate(mic_task, "mic", 6144, NULL, 10, NULL);
    xTaskCreate(speaker_task, "speaker", 6144, NULL, 11, NULL);
    start_wifi();
    for (;;) {
        vTaskDelay(pdMS_TO_TICKS(100));
        xSemaphoreTake(lock, portMAX_DELAY);
        el_device_tick(&dev, 100);
        xSemaphoreGive(lock);
    }
}

/* A status LED with a pattern per assistant state, stepped by an esp_timer every 100 ms. */
#include "driver/gpio.h"
#include "esp_live_glue.h"
#include "esp_timer.h"

/* 10-step patterns (1 = on): idle, listening, thinking, speaking, error, connecting. */
static const uint16_t PATTERNS[6] = { 0x000, 0x3FF, 0x155, 0x333, 0x001, 0x00F };
static int pin;
static volatile uint8_t state;
static volatile int forced = -1;
static unsigned step;

static void tick(void *arg) {
    (void)arg;
    int on = forced >= 0 ? forced : (PATTERNS[state < 6 ? state : 0] >> (step++ % 10)) & 1;
    gpio_set_level(pin, (uint32_t)on);
}

esp_err_t status_led_start(int gpio) {
    gpio_config_t cfg = { .pin_bit_mask = 1ULL << gpio, .mode = GPIO_MODE_OUTPUT };
    esp_err_t err = gpio_config(&cfg);
    if (err != ESP_OK) return err;
    pin = gpio;
    esp_timer_handle_t timer;
    const esp_timer_create_args_t args = { .callback = tick, .name = "status_led" };
    err = esp_timer_create(&args, &timer);
    return err == ESP_OK ? esp_timer_start_periodic(timer, 100000) : err;
}

void status_led_set_state(uint8_t s) {
    state = s;
}

void status_led_set_override(int on) {
    forced = on;
}

/* The status LED: a 10-step pattern per assistant state, or a level the set_led tool forced. */
#include "el_app_parts.h"

/* One bit per 100 ms step (1 = on): idle, listening, thinking, speaking, error, connecting. */
static const uint16_t PATTERNS[6] = { 0x000, 0x3FF, 0x155, 0x333, 0x001, 0x00F };

int el_led_pattern(uint8_t assistant_state, uint8_t step) {
    return (PATTERNS[assistant_state < 6 ? assistant_state : EL_ASSISTANT_IDLE] >> (step % 10)) & 1;
}

void el_app_tick_led(el_app_t *a) {
    int level = a->led_override >= 0 ? a->led_override : el_led_pattern(a->dev.assistant_state, a->led_step);
    if (level == a->led_level) return;
    a->led_level = level;
    if (a->board.set_led) a->board.set_led(a->board.ctx, level);
}

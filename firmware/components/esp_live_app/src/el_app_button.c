/* The push-to-talk button: a level must hold for 20 ms (4 samples 5 ms apart) to count. */
#include "el_app_parts.h"

void el_app_button_sample(el_app_t *a, int pressed) {
    pressed = pressed != 0;
    if (pressed == a->button_down) {
        a->button_count = 0;
        return;
    }
    if (++a->button_count < EL_BUTTON_STABLE_SAMPLES) return;
    a->button_down = (uint8_t)pressed;
    a->button_count = 0;
    el_device_button(&a->dev, pressed, a->board.now_us());
}

/*
 * The tools the board offers the assistant: the status LED and reading a GPIO. To add one,
 * write a function like these, add it to el_app_tools_init and raise EL_APP_TOOL_COUNT.
 * Arguments arrive as the model wrote them (a JSON object); these look for their one field
 * without a JSON parser, which is enough for one boolean or one integer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_app_parts.h"

/* Where `needle` starts in the first `len` bytes of `text`, or NULL (memmem is not standard C). */
static const char *find(const char *text, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0) return text + i;
    return NULL;
}

/* The value after "key": in a JSON object, or NULL. */
static const char *value_of(const char *args, size_t len, const char *quoted_key) {
    const char *p = find(args, len, quoted_key);
    if (!p) return NULL;
    p += strlen(quoted_key);
    while (p < args + len && (*p == ' ' || *p == ':')) p++;
    return p < args + len ? p : NULL;
}

static int tool_set_led(void *ctx, const char *args, size_t len, char *result, size_t cap) {
    el_app_t *a = ctx;
    const char *v = value_of(args, len, "\"on\"");
    if (!v || (strncmp(v, "true", 4) != 0 && strncmp(v, "false", 5) != 0)) {
        snprintf(result, cap, "\"give on as true or false, e.g. {\\\"on\\\": true}\"");
        return EL_TOOL_ERROR;
    }
    a->led_override = *v == 't';
    el_app_tick_led(a);
    snprintf(result, cap, "{\"led\":\"%s\"}", a->led_override ? "on" : "off");
    return EL_TOOL_OK;
}

static int tool_read_gpio(void *ctx, const char *args, size_t len, char *result, size_t cap) {
    el_app_t *a = ctx;
    const char *v = value_of(args, len, "\"pin\"");
    char digits[8] = { 0 };
    for (size_t i = 0; v && i < sizeof digits - 1 && v + i < args + len && v[i] >= '0' && v[i] <= '9'; i++) digits[i] = v[i];
    if (!digits[0]) {
        snprintf(result, cap, "\"give the pin number, e.g. {\\\"pin\\\": 4}\"");
        return EL_TOOL_ERROR;
    }
    int pin = atoi(digits);
    int level = a->board.read_gpio ? a->board.read_gpio(a->board.ctx, pin) : -1;
    if (level < 0) {
        snprintf(result, cap, "\"no such GPIO\"");
        return EL_TOOL_ERROR;
    }
    snprintf(result, cap, "{\"pin\":%d,\"level\":%d}", pin, level);
    return EL_TOOL_OK;
}

void el_app_tools_init(el_app_t *a) {
    const el_tool_t tools[EL_APP_TOOL_COUNT] = {
        { "set_led", "Turn the board's status LED on or off.",
          "{\"type\":\"object\",\"properties\":{\"on\":{\"type\":\"boolean\"}},\"required\":[\"on\"]}", tool_set_led, a },
        { "read_gpio", "Read the level (0 or 1) of one of the board's GPIO pins.",
          "{\"type\":\"object\",\"properties\":{\"pin\":{\"type\":\"integer\"}},\"required\":[\"pin\"]}", tool_read_gpio, a },
    };
    memcpy(a->tools, tools, sizeof tools);
}

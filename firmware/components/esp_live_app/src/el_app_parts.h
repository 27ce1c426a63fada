/* Between the application's own files; not for boards. */
#ifndef EL_APP_PARTS_H
#define EL_APP_PARTS_H
#include "el_app.h"

void el_app_tools_init(el_app_t *a);
/* Sets the LED to the level its override or its pattern says now. */
void el_app_tick_led(el_app_t *a);

#endif

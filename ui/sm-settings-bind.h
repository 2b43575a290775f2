/* sm-settings-bind.h: GSettings bindings GLib's defaults get wrong for this window.
 *
 * An integer key bound to a spin button's double "value" is truncated by the default mapping:
 * "1,5" typed into Top-k showed 2 (the button rounds) and saved 1.  These round, so what the
 * field shows is what is saved.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Binds integer key @key (type "i" or "u") to the double property @property of @object,
 * rounding to the nearest integer on the way to the key. */
void sm_settings_bind_rounded (GSettings *settings, const char *key, gpointer object,
                               const char *property);

G_END_DECLS

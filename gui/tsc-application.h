/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscApplication: ttyscope-gui's GtkApplication: command line options
 * (--socket, --remote, --command, --record), keyboard shortcuts, style,
 * and one window watching every source given.
 */
#ifndef TSC_APPLICATION_H
#define TSC_APPLICATION_H

#include <gtk/gtk.h>

#include "tsc-window.h"

G_BEGIN_DECLS

#define TSC_APPLICATION_ID "org.ttyscope.Gui"

#define TSC_TYPE_APPLICATION (tsc_application_get_type())
G_DECLARE_FINAL_TYPE(TscApplication, tsc_application, TSC, APPLICATION,
		     GtkApplication)

TscApplication *tsc_application_new(void);
TscWindow *tsc_application_get_window(TscApplication *self);
GPtrArray *tsc_application_get_sources(TscApplication *self);

G_END_DECLS

#endif /* TSC_APPLICATION_H */

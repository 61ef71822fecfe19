/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscTile: one live session in the overview grid, a small read-only
 * terminal under a one-line header; highlighted while output arrives.
 * Activating it (click, Enter) opens the session's full view.
 */
#ifndef TSC_TILE_H
#define TSC_TILE_H

#include <gtk/gtk.h>

#include "tsc-session.h"
#include "tsc-terminal.h"

G_BEGIN_DECLS

#define TSC_TYPE_TILE (tsc_tile_get_type())
G_DECLARE_FINAL_TYPE(TscTile, tsc_tile, TSC, TILE, GtkFlowBoxChild)

/* The usual font scale of a tile's terminal. */
#define TSC_TILE_SCALE_DEFAULT 0.6

GtkWidget *tsc_tile_new(TscSession *session, double scale);
void tsc_tile_set_scale(TscTile *self, double scale);
double tsc_tile_get_scale(TscTile *self);
TscSession *tsc_tile_get_session(TscTile *self);
TscTerminal *tsc_tile_get_terminal(TscTile *self);
gboolean tsc_tile_get_active(TscTile *self);

G_END_DECLS

#endif /* TSC_TILE_H */

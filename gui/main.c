// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope-gui: watch, block, take over and hang up the terminal sessions
 * that ttyscoped captures, on this machine and others.
 */
#include <locale.h>

#include <glib/gi18n.h>

#include "tsc-application.h"

int main(int argc, char **argv)
{
	g_autoptr(TscApplication) app = NULL;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_set_application_name(_("ttyscope"));

	app = tsc_application_new();
	return g_application_run(G_APPLICATION(app), argc, argv);
}

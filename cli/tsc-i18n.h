/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gettext for the ttyscope tools (ttyscope, ttyscoped): every user-visible
 * string goes through _(); N_() marks strings translated later (tables).
 * Each file that uses _() must be listed in po/POTFILES.in
 * (tests/check-potfiles.sh checks it).
 */
#ifndef TSC_I18N_H
#define TSC_I18N_H

#include <libintl.h>
#include <locale.h>

#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "ttyscope"
#endif

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define _(String) gettext(String)
#define N_(String) (String)

#endif /* TSC_I18N_H */

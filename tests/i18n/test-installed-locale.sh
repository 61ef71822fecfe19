#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The programs find their translations where they are installed: the tree
# is configured again with a temporary prefix, ttyscope, ttyscoped and
# ttyscope-gui are built, the catalogs are installed (meson install
# --tags i18n) to PREFIX/share/locale, which the programs were built to
# read (LOCALEDIR), and then:
#   LANGUAGE=de    ttyscope --help, ttyscope list|replay --help,
#                  ttyscoped --help and an error are German
#   LANGUAGE=zh_CN ttyscope --help and ttyscope-gui --help are Chinese
# Each message of the installed catalog that the English output shows
# must show translated (see compare below).
# Usage: test-installed-locale.sh SOURCE_ROOT   ($MESON: meson to use)
set -euo pipefail
src=$1
meson=${MESON:-meson}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "test-installed-locale: $*" >&2
	exit 1
}

prefix=$tmp/prefix
"$meson" setup --prefix "$prefix" "$tmp/build" "$src" >"$tmp/setup.log" 2>&1 ||
	{
		cat "$tmp/setup.log"
		fail "meson setup failed"
	}
"$meson" compile -C "$tmp/build" cli/ttyscope:executable cli/ttyscoped:executable \
	gui/ttyscope-gui:executable ttyscope-gmo >"$tmp/compile.log" 2>&1 || {
	tail -30 "$tmp/compile.log"
	fail "the build failed"
}
"$meson" install -C "$tmp/build" --no-rebuild --tags i18n >/dev/null
localedir=$prefix/share/locale
for lang in de zh_CN; do
	[ -s "$localedir/$lang/LC_MESSAGES/ttyscope.mo" ] ||
		fail "$localedir/$lang/LC_MESSAGES/ttyscope.mo was not installed"
done
ttyscope=$tmp/build/cli/ttyscope
ttyscoped=$tmp/build/cli/ttyscoped
gui=$tmp/build/gui/ttyscope-gui

# Run "$@" with the C locale's character set and language $lang.
in_lang() {
	local lang=$1
	shift
	env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 LANGUAGE="$lang" "$@"
}

# compare LANG NAME ARGS...: the program's output in English and in LANG.
# Every msgid of the installed catalog (without formats, 8 characters or
# more) that the English output shows must show translated in LANG's, and
# the English text must be gone; at least 3 such messages per program.
compare() {
	local lang=$1 name=$2
	shift 2
	in_lang C "$@" >"$tmp/$name.C" 2>&1 || true
	in_lang "$lang" "$@" >"$tmp/$name.$lang" 2>&1 || true
	python3 - "$localedir/$lang/LC_MESSAGES/ttyscope.mo" \
		"$tmp/$name.C" "$tmp/$name.$lang" "$lang: $name" <<'PY' || {
import gettext, sys
mo, english, local, what = sys.argv[1:]
catalog = gettext.GNUTranslations(open(mo, 'rb'))._catalog
eng = open(english, encoding='utf-8').read()
loc = open(local, encoding='utf-8').read()
n = bad = 0
for msgid, msgstr in catalog.items():
    if not isinstance(msgid, str) or len(msgid) < 8 or '%' in msgid \
            or '\x04' in msgid or msgid not in eng or msgstr == msgid:
        continue
    n += 1
    if msgstr not in loc:
        print('%s: %r is not shown as %r' % (what, msgid, msgstr))
        bad += 1
    elif msgid in loc and msgid not in msgstr:
        print('%s: %r is still shown in English' % (what, msgid))
        bad += 1
print('test-installed-locale: %s: %d messages translated, %d wrong'
      % (what, n, bad))
sys.exit(1 if bad or n < 3 else 0)
PY
		cat "$tmp/$name.$lang"
		fail "$lang: $name: the output above is not translated"
	}
}

compare de "ttyscope --help" "$ttyscope" --help
grep -q '^Aufruf:$' "$tmp/ttyscope --help.de" ||
	fail "no 'Aufruf:' in German ttyscope --help"
sed -n '1,8p' "$tmp/ttyscope --help.de"
compare de "ttyscope list --help" "$ttyscope" list --help
compare de "ttyscope replay --help" "$ttyscope" replay --help
compare de "ttyscoped --help" "$ttyscoped" --help

# an unknown command: the error on stderr is translated too
if in_lang de "$ttyscope" no-such-command 2>"$tmp/de-err.txt" >/dev/null; then
	fail "ttyscope no-such-command succeeded"
fi
grep -qF "unbekannter Befehl »no-such-command«" "$tmp/de-err.txt" || {
	cat "$tmp/de-err.txt"
	fail "the German error for an unknown command is missing"
}

compare zh_CN "ttyscope --help" "$ttyscope" --help
grep -qF '用法：' "$tmp/ttyscope --help.zh_CN" ||
	fail "no 用法： in Chinese ttyscope --help"
# GApplication prints --help before it opens a display
compare zh_CN "ttyscope-gui --help" "$gui" --help
cat "$tmp/ttyscope-gui --help.zh_CN"

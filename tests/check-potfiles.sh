#!/usr/bin/env bash
# Fails if a file with strings for translation is missing from
# po/POTFILES.in: a C file that calls _(), N_(), C_(), NC_(), Q_() or a
# gettext function, a GtkBuilder file with translatable="yes", or a
# desktop or AppStream template in data/. Fails too if POTFILES.in names
# a file that does not exist.
set -euo pipefail
cd "$(dirname "$0")/.."
potfiles=po/POTFILES.in
if [ ! -f "$potfiles" ]; then
	echo "check-potfiles: $potfiles is missing"
	exit 1
fi
mapfile -t listed < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$potfiles" | grep -v '^$' || true)
bad=0
for f in "${listed[@]}"; do
	if [ ! -f "$f" ]; then
		echo "check-potfiles: $potfiles lists $f, which does not exist"
		bad=$((bad + 1))
	fi
done
# Every C file outside the build trees and the kernel module that marks
# strings (the macro not as part of a longer identifier), every .ui file
# with translatable properties, and the data templates must be listed.
mapfile -t users < <({
	grep -rlE --include='*.c' \
		'(^|[^A-Za-z0-9_])(N?C?_|Q_|g_d?n?gettext|d?c?n?gettext)\(' \
		cli common gui 2>/dev/null || true
	grep -rl --include='*.ui' 'translatable="yes"' gui 2>/dev/null || true
	ls data/*.desktop.in data/*.metainfo.xml.in 2>/dev/null || true
} | sort -u)
for f in "${users[@]}"; do
	if ! printf '%s\n' "${listed[@]}" | grep -qxF "$f"; then
		echo "check-potfiles: $f has strings to translate but is not in $potfiles"
		bad=$((bad + 1))
	fi
done
echo "check-potfiles: ${#users[@]} files have strings to translate, ${#listed[@]} listed, $bad problems"
[ "$bad" -eq 0 ]

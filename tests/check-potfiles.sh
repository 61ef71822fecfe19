#!/usr/bin/env bash
# Fails if a C file that marks strings for translation (_( or N_( ) is
# missing from po/POTFILES.in, or if POTFILES.in names a file that does
# not exist.
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
# Every C file outside the build trees and the kernel module that uses _(
# or N_( (not as part of a longer identifier) must be listed.
mapfile -t users < <(grep -rlE --include='*.c' '(^|[^A-Za-z0-9_])N?_\(' \
	cli common gui 2>/dev/null | sort || true)
for f in "${users[@]}"; do
	if ! printf '%s\n' "${listed[@]}" | grep -qxF "$f"; then
		echo "check-potfiles: $f uses _() but is not in $potfiles"
		bad=$((bad + 1))
	fi
done
echo "check-potfiles: ${#users[@]} files use gettext, ${#listed[@]} listed, $bad problems"
[ "$bad" -eq 0 ]

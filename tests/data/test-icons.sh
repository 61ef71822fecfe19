#!/usr/bin/env bash
# The icons of ttyscope-gui: both SVGs are well-formed, render with
# librsvg at the sizes desktops use, are not blank, the symbolic one is
# one colour and renders at 16x16, and gtk-update-icon-cache accepts the
# tree. Usage: test-icons.sh ICONDIR APP_ID
set -euo pipefail
icons=$1
id=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "test-icons: $*" >&2
	exit 1
}

full=$icons/hicolor/scalable/apps/$id.svg
symbolic=$icons/hicolor/symbolic/apps/$id-symbolic.svg
[ -f "$full" ] || fail "$full is missing"
[ -f "$symbolic" ] || fail "$symbolic is missing"

# The fraction of the picture that is covered (mean alpha, 0..1).
coverage() {
	convert "$1" -alpha extract -format '%[fx:mean]' info:
}

for size in 16 32 48 64 128 256 512; do
	out=$tmp/full-$size.png
	rsvg-convert --width "$size" --height "$size" "$full" -o "$out" ||
		fail "rsvg-convert cannot render $full at $size"
	[ "$(identify -format '%wx%h' "$out")" = "${size}x$size" ] ||
		fail "$full rendered at $size is $(identify -format '%wx%h' "$out")"
	cov=$(coverage "$out")
	awk -v c="$cov" 'BEGIN { exit !(c > 0.3 && c < 0.95) }' ||
		fail "$full at $size covers $cov of its square"
	echo "test-icons: $id.svg at $size: coverage $cov"
done

out=$tmp/symbolic-16.png
rsvg-convert --width 16 --height 16 "$symbolic" -o "$out" ||
	fail "rsvg-convert cannot render $symbolic"
cov=$(coverage "$out")
awk -v c="$cov" 'BEGIN { exit !(c > 0.2) }' || fail "$symbolic is blank ($cov)"
# A symbolic icon is recoloured by the theme: one fill colour, no strokes
# or gradients in other colours.
colours=$(grep -oiE '(fill|stroke|stop-color)="#[0-9a-f]{3,6}"' "$symbolic" |
	sed 's/.*="//; s/"//' | tr 'A-F' 'a-f' | sort -u)
[ "$(printf '%s\n' "$colours" | grep -c .)" -eq 1 ] ||
	fail "$symbolic uses more than one colour: $colours"
grep -qi 'gradient' "$symbolic" && fail "$symbolic has a gradient"
echo "test-icons: $id-symbolic.svg at 16: coverage $cov, colour $colours"

cp -r "$icons/hicolor" "$tmp/hicolor"
gtk-update-icon-cache --force --ignore-theme-index "$tmp/hicolor" >/dev/null 2>&1 ||
	fail "gtk-update-icon-cache refuses the icons"
[ -s "$tmp/hicolor/icon-theme.cache" ] || fail "no icon cache was written"
for name in "$id" "$id-symbolic"; do
	grep -qF "$name" "$tmp/hicolor/icon-theme.cache" ||
		fail "$name is not in the icon cache"
done
echo "test-icons: icon cache holds $id and $id-symbolic"

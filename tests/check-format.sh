#!/usr/bin/env bash
# Fails if any C source or header of the project differs from what the
# kernel's .clang-format (at the top of the tree) makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
if [ "${#files[@]}" -eq 0 ]; then
	echo "check-format: no C files found" >&2
	exit 1
fi
bad=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "check-format: $f is not formatted (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "check-format: ${#files[@]} files, $bad not formatted"
[ "$bad" -eq 0 ]

# Golden-output helpers, sourced by the CLI test scripts.
#
# The script sets work (scratch directory, shown as @WORK@), ttyscope (the
# binary, shown as "ttyscope") and expected (the directory of NAME.out
# files), and may add sed expressions to the array scrub. UPDATE=1 rewrites
# the expected files from the current output instead of comparing (review
# the diff before committing it). Counts go to total and fail.
fail=0
total=0
scrub=()

# run NAME COMMAND...: run a case and compare (or update) its output: its
# stdout, stderr and exit status in one file.
run() {
	local name=$1 got=$work/out/$1.out rc
	shift
	total=$((total + 1))
	mkdir -p "$work/out"
	("$@") >"$got.stdout" 2>"$got.stderr"
	rc=$?
	{
		cat "$got.stdout"
		if [ -s "$got.stderr" ]; then
			echo "--- stderr"
			cat "$got.stderr"
		fi
		echo "--- exit $rc"
	} | sed -e "s|$work|@WORK@|g" -e "s|$ttyscope|ttyscope|g" \
		"${scrub[@]}" >"$got"
	rm -f "$got.stdout" "$got.stderr"
	if [ -n "${UPDATE:-}" ]; then
		cp "$got" "$expected/$name.out"
	elif ! diff -u "$expected/$name.out" "$got"; then
		echo "FAIL: $name"
		fail=$((fail + 1))
	fi
}

# same NAME FILE1 FILE2: a case that two files have equal bytes.
same() {
	total=$((total + 1))
	if ! cmp "$2" "$3"; then
		echo "FAIL: $1: $2 and $3 differ"
		fail=$((fail + 1))
	fi
}

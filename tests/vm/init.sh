#!/bin/sh
# shellcheck shell=sh
#
# ttyscope lab: the guest's /init (busybox sh, PID 1). tests/vm/lab copies this file
# into every initramfs it builds. It prepares a minimal system, then, depending on
# /lab/conf (written by the lab):
#   test  - insmod /ttyscope.ko, run every test named in /lab/tests (or all /t/t-*)
#   bench - run every benchmark named in /lab/tests (or all /t/b-*); no insmod, the
#           benchmarks load /ttyscope.ko themselves
#   demo  - insmod /ttyscope.ko, run /lab/demo.sh
# and powers the machine off. Results go to the console as marker lines that the lab
# parses:
#   @@TSC BEGIN <name>
#   @@TSC END <name> <exit-status>       0 pass, 77 skip, 124 timeout, else fail
#   @@TSC TIME <name> <seconds>
#   @@TSC TAINT <value of /proc/sys/kernel/tainted>
#   @@TSC DONE
# "insmod" and "demo" use the same BEGIN/END markers as pseudo-tests.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
HOME=/tmp
export PATH HOME

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
# devtmpfs' /dev/ptmx opens the devpts instance mounted on /dev/pts; fall back to
# the devpts node if devtmpfs did not provide one.
if [ ! -c /dev/ptmx ]; then
	rm -f /dev/ptmx
	ln -s pts/ptmx /dev/ptmx
fi
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ip link set lo up 2>/dev/null
hostname lab

# Defaults, overridden by /lab/conf.
LAB_MODE="test"
LAB_TEST_TIMEOUT=300
LAB_LOGLEVEL=5
LAB_MODULE=/ttyscope.ko
LAB_MODNAME=ttyscope
LAB_DMESG=fail
# shellcheck source=/dev/null
[ -f /lab/conf ] && . /lab/conf

# Console log level: 5 shows KERN_WARNING and worse live on the console (the lab's
# splat detector needs WARN_ON output); -v raises it.
dmesg -n "$LAB_LOGLEVEL"

# The lab's --port: virtio_console and its dependencies, on kernels that build
# them as modules, in load order.
if [ -f /lab/modules/order ]; then
	for m in $(cat /lab/modules/order); do
		insmod "/lab/modules/$m.ko" || echo "lab: insmod $m.ko failed"
	done
fi

TSC_MODULE=$LAB_MODULE
export TSC_MODULE

failed=0

uptime_s() {
	read -r up _ </proc/uptime
	echo "$up"
}

module_loaded() {
	grep -q "^$LAB_MODNAME " /proc/modules
}

load_module() {
	echo "@@TSC BEGIN insmod"
	insmod "$LAB_MODULE"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "lab: insmod $LAB_MODULE failed with status $rc"
		failed=1
	fi
	echo "@@TSC END insmod $rc"
	return $rc
}

# run NAME PROG [ARGS...]: run one test with the per-test timeout, print markers.
run() {
	name=$1
	shift
	echo "@@TSC BEGIN $name"
	# A test may unload the module; every test starts with it loaded.
	if [ "$LAB_MODE" = test ] && ! module_loaded; then
		echo "lab: $LAB_MODNAME is not loaded, loading it again"
		insmod "$LAB_MODULE"
	fi
	t0=$(uptime_s)
	(cd /tmp && exec timeout -s TERM -k 10 "$LAB_TEST_TIMEOUT" "$@") </dev/null
	rc=$?
	t1=$(uptime_s)
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# busybox timeout execs the program, so a timeout shows as death by SIGTERM
	# (143) or SIGKILL (137); report a real timeout as 124.
	if [ $rc -eq 143 ] || [ $rc -eq 137 ]; then
		if awk -v e="$el" -v t="$LAB_TEST_TIMEOUT" 'BEGIN { exit !(e >= t - 0.5) }'; then
			echo "lab: $name timed out after $LAB_TEST_TIMEOUT s"
			rc=124
		fi
	fi
	echo "@@TSC END $name $rc"
	echo "@@TSC TIME $name $el"
	case $rc in
	0 | 77) ;;
	*) failed=1 ;;
	esac
}

test_list() {
	if [ -f /lab/tests ]; then
		sed -e 's/#.*//' /lab/tests | awk 'NF { print $1 }'
	elif [ "$LAB_MODE" = bench ]; then
		(cd /t && ls b-* 2>/dev/null)
	else
		(cd /t && ls t-* 2>/dev/null)
	fi
}

case $LAB_MODE in
test)
	if load_module; then
		for t in $(test_list); do
			run "$t" "/t/$t"
		done
	fi
	;;
bench)
	for t in $(test_list); do
		run "$t" "/t/$t"
	done
	;;
demo)
	if load_module; then
		run demo sh /lab/demo.sh
	fi
	;;
*)
	echo "lab: unknown mode '$LAB_MODE'"
	;;
esac

# Taint flags that mean the kernel complained: B bad page, D oops, W warning,
# L soft lockup. (Unsigned/out-of-tree module taints are expected.)
tainted=$(cat /proc/sys/kernel/tainted)
echo "@@TSC TAINT $tainted"
if [ $((tainted & 17056)) -ne 0 ]; then
	failed=1
fi
echo "@@TSC DONE"
if [ "$LAB_DMESG" = always ] || { [ "$LAB_DMESG" = fail ] && [ $failed -ne 0 ]; }; then
	echo "@@TSC DMESG BEGIN"
	dmesg
	echo "@@TSC DMESG END"
fi
sync
poweroff -f
# Not reached unless poweroff failed; PID 1 exiting panics the kernel, which
# (panic=-1, -no-reboot) ends QEMU as well.
sleep 5
exit 1

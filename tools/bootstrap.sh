#!/bin/sh
# Install what livewatch needs on Debian 12, build it, then run the demo
# or the test suite.  Works as root (no sudo needed) and as a user with sudo.
#
#   tools/bootstrap.sh demo     install, build, run `livewatch demo`
#   tools/bootstrap.sh test     install, build, run every test, then
#                               again on an ASan + UBSan build
#
# BUILDDIR (default: build) picks the build folder (and BUILDDIR-sanitize
# the sanitizer build's).  With CI set, warnings
# are errors.
set -eu

what=${1:-demo}
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}

packages="gcc pkg-config meson ninja-build git python3
 libglib2.0-dev libcurl4-openssl-dev libxml2-dev libgit2-dev libnotify-dev
 libinih-dev libjson-glib-dev zlib1g-dev scdoc"
if [ "$what" = test ]; then
	packages="$packages dbus-daemon dbus-bin python3-dbusmock valgrind systemd strace
 clang libclang-rt-14-dev chromium libxml2-utils openssl openssh-server openssh-client
 build-essential dpkg-dev debhelper lintian fakeroot time"
fi

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		as_root=
	elif command -v sudo >/dev/null 2>&1; then
		as_root=sudo
	else
		echo "bootstrap: need root or sudo to install:$missing" >&2
		exit 1
	fi
	echo "bootstrap: installing:$missing"
	$as_root apt-get update -qq
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

werror=false
[ -n "${CI:-}" ] && werror=true
if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dwerror=$werror >/dev/null
else
	meson setup "$builddir" -Dwerror=$werror
fi
ninja -C "$builddir"

case "$what" in
demo)
	exec "$builddir/daemon/livewatch" demo ;;
test)
	status=0
	meson test -C "$builddir" --print-errorlogs --num-processes 2 || status=$?
	# The same suite again on an ASan + UBSan build (the fuzz targets carry
	# their own sanitizers): any memory error, leak or undefined behaviour
	# fails it.
	sanbuild="$builddir-sanitize"
	if [ -f "$sanbuild/build.ninja" ]; then
		meson setup --reconfigure "$sanbuild" -Dwerror=$werror >/dev/null
	else
		meson setup "$sanbuild" -Dwerror=$werror -Db_sanitize=address,undefined \
			-Db_lundef=false -Dfuzz=false >/dev/null
	fi
	ninja -C "$sanbuild"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C "$sanbuild" --print-errorlogs --num-processes 2 || status=$?
	# One plain closing line that any CI can read.
	python3 - "$builddir/meson-logs/testlog.json" "$sanbuild/meson-logs/testlog.json" <<'PY' || true
import json, sys
counts = {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get('result', '?')
        counts[r] = counts.get(r, 0) + 1
ok = counts.get('OK', 0) + counts.get('EXPECTEDFAIL', 0)
skipped = counts.get('SKIP', 0)
failed = sum(counts.values()) - ok - skipped
print('%d passed, %d failed, %d skipped (plain and sanitizer builds)' % (ok, failed, skipped))
PY
	exit $status ;;
*)
	echo "usage: tools/bootstrap.sh demo|test" >&2
	exit 2 ;;
esac

#!/bin/sh
# context.sh BINARY DIR stages the build context of vigil's offline image in DIR (which
# must be empty or absent), from files on this machine only:
#
#   DIR/Dockerfile        a copy of deploy/Dockerfile.offline (FROM scratch)
#   DIR/vigil             BINARY, stripped
#   DIR/rootfs/           the dynamic loader at its canonical path; every shared library
#                         BINARY loads (ldd's transitive list), each at the path ldd found
#                         it; glibc's gconv modules (iconv_open dlopens them: FFmpeg asks
#                         for ISO 6937 at start-up, subtitle and teletext decoders for
#                         more); CA certificates; tzdata; /etc/passwd, group and
#                         nsswitch.conf with the user vigil (10001); /tmp (1777)
#   DIR/data/             the empty data directory, copied with --chown=10001:10001
#
# Nothing is downloaded. The libraries are the ones BINARY was linked against, so the
# image runs exactly what `make build` produced (linked by lld with --gc-sections, it
# loads 146 libraries besides the loader; with the 253 gconv modules the context holds
# 400 shared objects, 219 MB). They are not stripped: Debian ships them stripped already
# (strip --strip-unneeded gains 0 bytes on the 146 and the loader).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BINARY DIR" >&2
	exit 2
fi
bin=$1
dir=$2
here=$(dirname "$0")
root=$dir/rootfs

die() {
	echo "context: $*" >&2
	exit 1
}

[ -x "$bin" ] || die "$bin: not an executable"
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
	die "$dir: not empty"
fi
mkdir -p "$root" "$dir/data"

# copy SRC puts SRC's content (symlinks followed) at the same path under rootfs.
copy() {
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

# The loader, at the path the binary names (PT_INTERP), as a regular file.
interp=$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || die "$bin: no program interpreter (a static binary needs no context.sh)"
copy "$interp"

# gconv modules live next to libc (glibc's compiled-in GCONV_PATH is $libdir/gconv).
libc=$(ldd "$bin" | awk '$1 == "libc.so.6" { print $3 }')
[ -n "$libc" ] || die "$bin: does not link libc.so.6"
gconv=$(dirname "$(readlink -f "$libc")")/gconv
[ -d "$gconv" ] || die "$gconv: missing (package libc6)"
mkdir -p "$root$gconv"
cp -a "$gconv/." "$root$gconv/"

# Libraries: ldd lists the whole closure (it runs the loader in trace mode). The gconv
# modules are dlopened, so their own dependencies are added too.
libs=$(mktemp)
trap 'rm -f "$libs"' EXIT
{
	ldd "$bin"
	for m in "$gconv"/*.so; do ldd "$m"; done
} >"$libs"
if grep -q 'not found' "$libs"; then
	grep 'not found' "$libs" | sort -u >&2
	die "unresolved libraries"
fi
awk '$2 == "=>" && $3 ~ /^\// { print $3 }' "$libs" | sort -u | while read -r lib; do
	copy "$lib"
done

# Certificates (Go's crypto/x509 and FFmpeg's GnuTLS read this bundle) and tzdata.
copy /etc/ssl/certs/ca-certificates.crt
mkdir -p "$root/usr/share"
cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"

# Users, name service switch, /tmp.
mkdir -p "$root/etc" "$root/tmp"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
vigil:x:10001:10001:vigil:/var/lib/vigil:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
vigil:x:10001:
nogroup:x:65534:
EOF
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
chmod 0750 "$dir/data"

# The binary, stripped of its symbol table and DWARF (Go's stack traces use pclntab,
# which stays), and the Dockerfile.
cp "$bin" "$dir/vigil"
strip --strip-unneeded "$dir/vigil"
cp "$here/Dockerfile.offline" "$dir/Dockerfile"

echo "context: $(du -sh "$dir" | cut -f1) in $dir ($(find "$root" -name '*.so*' -type f | wc -l) shared objects)"

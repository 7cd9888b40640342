#!/bin/sh
# deps.sh installs every Debian 12 package vigil's build, tests and demo need.
# It is idempotent: when everything is already installed it does nothing.
# Run it as root, or as a user who may sudo.
set -eu

PACKAGES="
build-essential
pkg-config
lld
ca-certificates
git
libavcodec-dev
libavformat-dev
libavfilter-dev
libavdevice-dev
libswscale-dev
libswresample-dev
libavutil-dev
libopencv-dev
ffmpeg
protobuf-compiler
iptables
"
# lld: make build links bin/vigil with it (the Makefile's VIGIL_CGO_LDFLAGS).
# With a Docker engine on the machine, make cluster and the chaos suite (make chaos,
# make chaos-ci) also need the compose tool: docker-compose, the v1 CLI Debian packages.
# nsenter, which the suite also uses, is in util-linux (essential).
if command -v docker >/dev/null 2>&1; then
	PACKAGES="$PACKAGES docker-compose"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
echo "deps: installing:$missing"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing

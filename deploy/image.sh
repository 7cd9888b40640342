#!/bin/sh
# image.sh BINARY NAME:TAG... builds vigil's offline image (deploy/Dockerfile.offline,
# FROM scratch) around BINARY and tags it NAME:TAG for every one given. The context is
# staged by context.sh in a temporary directory, never the repository, and removed after.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BINARY NAME:TAG..." >&2
	exit 2
fi
bin=$1
shift
docker=${DOCKER:-docker}
here=$(dirname "$0")

ctx=$(mktemp -d "${TMPDIR:-/tmp}/vigil-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
"$here/context.sh" "$bin" "$ctx"

tags=""
for t in "$@"; do
	tags="$tags --tag $t"
done
rev=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
# shellcheck disable=SC2086 # $tags is a list of options
$docker build --quiet $tags \
	--label org.opencontainers.image.title=vigil \
	--label org.opencontainers.image.revision="$rev" \
	--label org.opencontainers.image.source=https://github.com/vigil-monitor/vigil \
	"$ctx"

size=$($docker image inspect --format '{{.Size}}' "$1")
echo "image: $* ($((size / 1000000)) MB)"

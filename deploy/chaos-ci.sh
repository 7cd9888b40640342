#!/bin/sh
# chaos-ci.sh: the chaos suite (test/chaos) as CI runs it, through `make chaos-ci`.
#
#   1. No Docker engine reachable (`docker info` fails): say that the suite is skipped,
#      and why, and exit 0. Nothing is built.
#   2. Otherwise build the image (make cluster-image, which builds bin/vigil first),
#      then run the suite in its default, shortened mode (~8 minutes on 2 cores: 60 s
#      of loss, 12 soak faults) under a hard limit ($CHAOS_CI_TIMEOUT, go test
#      -timeout), as root (sudo -n for the test binary when not root: the suite enters
#      the containers' network namespaces with nsenter).
#   3. Always remove the project and its volumes afterwards (docker-compose down -v),
#      also after a failure, a timeout or Ctrl-C; the exit status is the suite's (or the
#      build's), never the teardown's.
#
# Environment (set by deploy/compose.mk): MAKE, GO, DOCKER, COMPOSE, CHAOS_PROJECT,
# CHAOS_CI_TIMEOUT, CHAOS_FLAGS (extra -chaos.… flags).
set -u
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
GO=${GO:-go}
DOCKER=${DOCKER:-docker}
COMPOSE=${COMPOSE:-docker-compose}
PROJECT=${CHAOS_PROJECT:-vigil-chaos}
TIMEOUT=${CHAOS_CI_TIMEOUT:-15m}
FLAGS=${CHAOS_FLAGS:-}

say() { echo "chaos-ci: $*"; }

if ! $DOCKER info >/dev/null 2>&1; then
	say "SKIPPED: no Docker engine is reachable ('$DOCKER info' failed), so the chaos suite (test/chaos) did not run"
	exit 0
fi

# Tools the suite needs on the host besides the engine: missing ones fail the run
# (an engine without them is a broken CI machine, not one without Docker).
missing=""
for tool in $COMPOSE nsenter iptables; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	say "FAILED: a Docker engine is reachable but the chaos suite also needs:$missing (deploy/deps.sh installs them)"
	exit 1
fi
exec_flag=""
if [ "$(id -u)" != 0 ]; then
	if ! sudo -n true 2>/dev/null; then
		say "FAILED: the chaos suite needs root (nsenter into the containers' network namespaces), and sudo -n is not allowed"
		exit 1
	fi
	exec_flag="-exec=sudo -n"
fi

teardown() {
	status=$?
	trap - EXIT INT TERM
	if [ "$status" != 0 ] && [ -n "$($DOCKER ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)" ]; then
		say "failed (status $status): last output of the project's containers"
		$COMPOSE -f deploy/docker-compose.yml -p "$PROJECT" logs --no-color --tail=20 2>&1 | tail -n 150
	fi
	say "tearing down project $PROJECT (docker-compose down -v)"
	$COMPOSE -f deploy/docker-compose.yml -p "$PROJECT" down -v -t 5 >/dev/null 2>&1 ||
		say "warning: teardown of $PROJECT failed; remove it with: $COMPOSE -f deploy/docker-compose.yml -p $PROJECT down -v"
	say "exit status $status, $(($(date +%s) - started)) s in all"
	exit "$status"
}
started=$(date +%s)
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Docker engine reachable: building the image, then the chaos suite (limit $TIMEOUT)"
$MAKE --no-print-directory cluster-image || exit $?
say "image ready after $(($(date +%s) - started)) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2086 # FLAGS is a list of flags
$GO test -tags chaos -count=1 -v -timeout "$TIMEOUT" ${exec_flag:+"$exec_flag"} ./test/chaos/ \
	-args -chaos.project="$PROJECT" $FLAGS

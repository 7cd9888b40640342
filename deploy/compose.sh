#!/bin/sh
# compose.sh: the five-node docker-compose cluster of deploy/docker-compose.yml.
#
#   compose.sh up            start it, wait until every service is healthy, assign
#                            $CLUSTER_STREAMS demo streams through the CLI, print the
#                            stream and member tables and a live event tail
#   compose.sh down [-v]     stop and remove the containers (-v: the data volumes too)
#
# Used by `make cluster` and `make cluster-down` (deploy/compose.mk), which set:
#   COMPOSE          the compose command (docker-compose, the v1 CLI)
#   CLUSTER_PROJECT  the compose project name (vigil)
#   CLUSTER_STREAMS  how many demo streams `up` assigns (16)
#   CLUSTER_ADDR     node 1's admin API as published on the host (127.0.0.1:7070)
#   CLUSTER_TAIL     the event tail: seconds (15), 0 for none, or "follow" to follow
#                    until Ctrl-C (which ends the tail and make, never the cluster)
#   VIGIL            the vigil binary the CLI calls use (bin/vigil)
set -eu
cd "$(dirname "$0")/.."

COMPOSE=${COMPOSE:-docker-compose}
PROJECT=${CLUSTER_PROJECT:-vigil}
STREAMS=${CLUSTER_STREAMS:-16}
ADDR=${CLUSTER_ADDR:-127.0.0.1:7070}
TAIL=${CLUSTER_TAIL:-15}
VIGIL=${VIGIL:-bin/vigil}
CHANNELS=8 # the source's channels (docker-compose.yml: --channels)

dc() { $COMPOSE -f deploy/docker-compose.yml -p "$PROJECT" "$@"; }

# wait_healthy waits up to $1 seconds for every container of the project to report
# healthy, printing who is not yet.
wait_healthy() {
	deadline=$(($(date +%s) + $1))
	while :; do
		waiting=""
		for id in $(dc ps -q); do
			st=$(docker inspect -f '{{.Name}}={{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
			case "$st" in
			*=healthy) ;;
			*) waiting="$waiting ${st#/}" ;;
			esac
		done
		[ -z "$waiting" ] && return 0
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "not healthy after $1 s:$waiting" >&2
			dc ps >&2
			return 1
		fi
		echo "waiting for:$waiting"
		sleep 3
	done
}

# tail_events prints the cluster's live events for $TAIL seconds, or until Ctrl-C
# when $TAIL is "follow". The bounded tail makes `make cluster` return by itself
# (scripts, CI); `vigil events --follow` shows them again at any time.
tail_events() {
	case "$TAIL" in
	0) return 0 ;;
	follow)
		echo
		echo "live events (vigil events --follow --addr $ADDR); Ctrl-C ends the tail, the cluster runs on:"
		trap 'echo' INT
		"$VIGIL" events --follow --addr "$ADDR" || true
		trap - INT
		;;
	*[!0-9]*)
		echo "CLUSTER_TAIL=$TAIL: want seconds, 0 or follow" >&2
		return 2
		;;
	*)
		echo
		echo "live events for $TAIL s (CLUSTER_TAIL=follow follows them until Ctrl-C):"
		# timeout ends the tail with status 124: that is its normal end.
		timeout "$TAIL" "$VIGIL" events --follow --addr "$ADDR" || true
		;;
	esac
	echo
}

up() {
	dc up -d
	echo "waiting for the nodes to join and turn healthy (health checks every 10 s)…"
	wait_healthy 180
	echo "assigning $STREAMS demo streams through node 1 ($ADDR)…"
	i=0
	while [ "$i" -lt "$STREAMS" ]; do
		id=$(printf 'demo-%02d' "$i")
		"$VIGIL" streams assign "$id" "http://source:8090/ch/$((i % CHANNELS)).ts" --addr "$ADDR" --label demo=compose
		i=$((i + 1))
	done
	# Placement is immediate; the owners need a moment to decode their first frames.
	deadline=$(($(date +%s) + 60))
	while [ "$("$VIGIL" streams ls --addr "$ADDR" --json | grep -o '"state":"running"' | wc -l)" -lt "$STREAMS" ] &&
		[ "$(date +%s)" -lt "$deadline" ]; do
		sleep 1
	done
	echo
	"$VIGIL" streams ls --addr "$ADDR"
	echo
	"$VIGIL" members --addr "$ADDR"
	tail_events
	echo "The cluster runs on. Talk to it: $VIGIL streams ls --addr $ADDR"
	echo "Stop it: make cluster-down (VOLUMES=1 also deletes the stream tables)"
}

case "${1:-}" in
up) up ;;
down)
	if [ "${2:-}" = "-v" ]; then
		dc down -v -t 60
	else
		dc down -t 60
	fi
	;;
*)
	echo "usage: $0 up | down [-v]" >&2
	exit 2
	;;
esac

#!/bin/sh
# readme.sh copies the headline table of each generated results section into the
# README, between <!-- begin results-NAME --> and <!-- end results-NAME --> markers:
# the first markdown table of section NAME of docs/results.md (accuracy, cpu) or of
# docs/results-distributed.md (distributed). `make bench` runs it last; nothing in
# those README blocks is typed by hand.
set -eu
cd "$(dirname "$0")/../.."
README=${README:-README.md}

# table FILE SECTION prints the first table inside <!-- begin SECTION --> ... <!-- end
# SECTION --> of FILE (SECTION empty: the first table of the file), and the "Machine"
# or "- Machine" line before it.
table() {
	awk -v sec="$2" '
		sec == "" || $0 == "<!-- begin " sec " -->" { on = 1; next }
		sec != "" && $0 == "<!-- end " sec " -->" { on = 0 }
		!on { next }
		/^(- )?Machine:/ && !machine { machine = $0; sub(/^- /, "", machine); print machine; print "" }
		/^\|/ { intable = 1; print; next }
		intable { exit }
	' "$1"
}

# splice NAME prints README with the block NAME replaced by stdin.
splice() {
	block=$(cat)
	BLOCK="$block" awk -v name="$1" '
		$0 == "<!-- begin results-" name " -->" { print; print ENVIRON["BLOCK"]; skip = 1; next }
		$0 == "<!-- end results-" name " -->" { skip = 0 }
		!skip { print }
	' "$README"
}

for pair in accuracy:docs/results.md:accuracy cpu:docs/results.md:cpu distributed:docs/results-distributed.md:; do
	name=${pair%%:*}
	rest=${pair#*:}
	file=${rest%%:*}
	sec=${rest#*:}
	grep -q "<!-- begin results-$name -->" "$README" || { echo "readme.sh: no results-$name block in $README" >&2; exit 1; }
	[ -f "$file" ] || { echo "readme.sh: $file missing: run make bench first" >&2; exit 1; }
	table "$file" "$sec" | splice "$name" > "$README.tmp"
	mv "$README.tmp" "$README"
done
echo "readme.sh: README results tables updated from docs/results*.md"

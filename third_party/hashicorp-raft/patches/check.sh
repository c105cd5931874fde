#!/bin/sh
# Checks that third_party/hashicorp-raft is exactly upstream hashicorp/raft
# at the tag named below with patches/*.patch applied in order, so the fork
# holds no change that FORK.md does not list, and that FORK.md names every
# patch. Needs only the Go module proxy (or a warm module cache).
#
# Left out of the comparison: what the fork does not ship from upstream
# (docs/, bench/, .github/, .gitignore, .gitmodules) and what it adds for
# Boxoffice (FORK.md, patches/).
set -eu

UPSTREAM=github.com/hashicorp/raft@v1.7.3
fork=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}

upstream_dir=$(cd "$fork" && "$go" mod download -json "$UPSTREAM" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
if [ -z "$upstream_dir" ] || [ ! -d "$upstream_dir" ]; then
	echo "fork-check: $UPSTREAM could not be downloaded (module proxy or cache)" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
tree=$work/raft
mkdir "$tree"
cp -R "$upstream_dir/." "$tree"
chmod -R u+w "$tree"
# git apply works relative to the repository it runs in, so give the copy
# its own (it may sit inside another repository's work tree).
git -C "$tree" init -q

status=0
for patch in "$fork"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	name=$(basename "$patch")
	if ! git -C "$tree" apply --whitespace=nowarn "$patch"; then
		echo "fork-check: $name does not apply" >&2
		exit 1
	fi
	if ! grep -q "$name" "$fork/FORK.md"; then
		echo "fork-check: FORK.md does not name $name" >&2
		status=1
	fi
done
for name in $(grep -o '[0-9][0-9][0-9][0-9]-[A-Za-z0-9._-]*\.patch' "$fork/FORK.md" | sort -u); do
	if [ ! -f "$fork/patches/$name" ]; then
		echo "fork-check: FORK.md names $name, which patches/ does not hold" >&2
		status=1
	fi
done

rm -rf "$tree/.git" "$tree/docs" "$tree/bench" "$tree/.github" "$tree/.gitignore" "$tree/.gitmodules"
if ! diff -ru -x FORK.md -x patches "$tree" "$fork" >"$work/diff"; then
	echo "fork-check: $fork differs from $UPSTREAM with patches/ applied:" >&2
	sed "s#$tree#upstream+patches#" "$work/diff" >&2
	status=1
fi
exit $status

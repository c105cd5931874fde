#!/usr/bin/env bash
# bench.sh: what `make bench` runs. Builds bin/boxoffice, starts a fresh
# 3-node cluster of separate processes on 127.0.0.1 (fsync on, plaintext),
# runs the OSW-1 workload at 64 and 256 clients (three times each, in turn:
# the table adds the median and range of each), an idle single-client run
# and three read-only runs (STALE unary, STALE streamed, linearizable
# streamed seat maps), each on a fresh
# event, prints one table and stops the cluster. Results (JSON per run,
# PNG timelines, node logs) go to bench-results/<UTC time>/.
#
# Environment: BENCH_CLIENTS ("64 256"), BENCH_REPEAT (3: sell-outs per
# number of clients), BENCH_DURATION (30s: limit of the sell-out runs), BENCH_READ_DURATION (10s), BENCH_SEED (1), BENCH_FLAGS
# (extra flags for every run, e.g. "--conn raw" or "--groups 3"),
# BENCH_NODE_FLAGS (extra flags for every node, e.g.
# "--raft-serial-leader-write"), BENCH_PORT_BASE (17000:
# gRPC on base+101.., peer +201.., HTTP +301.., gossip +401..).
set -euo pipefail

cd "$(dirname "$0")/.."
clients=${BENCH_CLIENTS:-64 256}
repeat=${BENCH_REPEAT:-3}
duration=${BENCH_DURATION:-30s}
read_duration=${BENCH_READ_DURATION:-10s}
seed=${BENCH_SEED:-1}
extra=${BENCH_FLAGS:-}
node_extra=${BENCH_NODE_FLAGS:-}
base=${BENCH_PORT_BASE:-17000}
out="bench-results/$(date -u +%Y%m%dT%H%M%SZ)"
nodes=3

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
go build -ldflags "-X github.com/boxoffice/boxoffice/node.Version=$version" -o bin/boxoffice ./cmd/boxoffice
if bin/boxoffice bench report 2>&1 | grep -q 'unknown subcommand'; then
	echo "bench.sh: bin/boxoffice has no bench subcommand (main.go must dispatch \"bench\" to runBench)" >&2
	exit 1
fi
mkdir -p "$out"
work=$(mktemp -d -t boxoffice-bench-XXXXXX)
pids=()

stop_cluster() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	# A node left without its peers can take long to shut down: give the
	# three 15s together, then SIGKILL (the data directory goes anyway).
	for _ in $(seq 1 150); do
		alive=0
		for pid in "${pids[@]}"; do
			if kill -0 "$pid" 2>/dev/null; then
				alive=1
			fi
		done
		[[ $alive == 0 ]] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "bench.sh: node pid $pid ignored SIGTERM for 15s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	pids=()
	if [[ -d "$work/logs" ]]; then
		cp -r "$work/logs" "$out/" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/logs"
addrs=""
for i in $(seq 1 $nodes); do
	join=()
	if [[ $i -gt 1 ]]; then
		join=(--join "127.0.0.1:$((base + 401))")
	fi
	bin/boxoffice start --node-id "n$i" --data-dir "$work/n$i" \
		--grpc-addr "127.0.0.1:$((base + 100 + i))" --peer-addr "127.0.0.1:$((base + 200 + i))" \
		--http-addr "127.0.0.1:$((base + 300 + i))" --gossip-addr "127.0.0.1:$((base + 400 + i))" \
		--bootstrap-expect $nodes --plaintext --log-level warn "${join[@]}" $node_extra \
		>"$work/logs/n$i.log" 2>&1 &
	pids+=($!)
	addrs+="${addrs:+,}127.0.0.1:$((base + 100 + i))"
done

echo "waiting for $nodes nodes to be ready ($work)"
for i in $(seq 1 $nodes); do
	ready=0
	for _ in $(seq 1 300); do
		if curl -fsS "http://127.0.0.1:$((base + 300 + i))/readyz" >/dev/null 2>&1; then
			ready=1
			break
		fi
		sleep 0.1
	done
	if [[ $ready != 1 ]]; then
		echo "bench.sh: node n$i not ready after 30s; its log:" >&2
		tail -n 30 "$work/logs/n$i.log" >&2
		exit 1
	fi
done

failed=0
run() { # name, flags...
	local name=$1
	shift
	echo "== $name"
	# shellcheck disable=SC2086 # BENCH_FLAGS is split on purpose
	if ! bin/boxoffice bench --addr "$addrs" --seed "$seed" --json "$out/$name.json" --plot "$out/$name.png" $extra "$@" >"$out/$name.txt"; then
		failed=1
	fi
	cat "$out/$name.txt"
}

# A sell-out lasts about a second: sample its timeline every 100ms. Each
# is run in turn (64, 256, 64, ...), so that a slow minute of the machine
# does not fall on one number of clients only.
for k in $(seq 1 "$repeat"); do
	for c in $clients; do
		label="C=$c"
		if [[ $repeat -gt 1 ]]; then
			label="C=$c #$k"
		fi
		run "c$c-$k" --label "$label" --clients "$c" --duration "$duration" --sample-interval 100ms
	done
done
run idle --idle
# Read-only runs: seat maps of one Zipf-chosen section (1,000 seats) in the
# compact AVAILABILITY view, over unary GetSeatMap and over ReadSeatMaps
# streams (what a mobile API server holding long-lived connections uses).
run reads-stale-unary --label "C=256 stale unary" --clients 256 --duration "$read_duration" \
	--read-only --read-consistency stale --seatmap-view availability
run reads-stale-stream --label "C=256 stale stream" --clients 256 --duration "$read_duration" \
	--read-only --read-consistency stale --seatmap-view availability --read-stream
run reads-linearizable-stream --label "C=256 linear stream" --clients 256 --duration "$read_duration" \
	--read-only --read-consistency linearizable --seatmap-view availability --read-stream

echo
echo "OSW-1 on Boxoffice: $nodes nodes on 127.0.0.1, fsync on, $(nproc) CPUs shared with the load generator"
# The sell-out runs first, in the order they ran.
ordered=()
for c in $clients; do
	for k in $(seq 1 "$repeat"); do
		[[ -f "$out/c$c-$k.json" ]] && ordered+=("$out/c$c-$k.json")
	done
done
for name in idle reads-stale-unary reads-stale-stream reads-linearizable-stream; do
	[[ -f "$out/$name.json" ]] && ordered+=("$out/$name.json")
done
if [[ ${#ordered[@]} -gt 0 ]]; then
	bin/boxoffice bench report "${ordered[@]}" | tee "$out/table.txt"
fi
echo "results in $out"
exit $failed

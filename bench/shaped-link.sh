#!/usr/bin/env bash
# Cluster training over rate-limited links: a coordinator and 1 or 2 workers, each in a network
# namespace of its own, joined to a bridge by a veth pair whose two ends are shaped with tc's
# token bucket (tbf) to RATE, so that every host has a link of that speed each way, the
# coordinator's carrying every worker's gradients and parameters as in the scaling model
# (bench/README.md). Each shaped run is followed by the same run on unshaped links, and the
# script prints both rates and their ratio (the last epoch's samples/s, as the coordinator's API
# reports it).
#   sudo bench/shaped-link.sh [RATE] [workers] [batch] [train-samples] [epochs] [repeats]
#   defaults: 1gbit 2 1024 30000 4 1; RATE as tc takes it (1gbit, 10gbit, 500mbit).
# Needs root, iproute2, and the nodes built in Release (it builds them). This kernel has no netem,
# so links are shaped in rate only, not in delay. Everything it creates (namespaces an-*, the
# bridge an-br, the processes) is removed at the end, also on failure or Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-1gbit}
workers=${2:-2}
batch=${3:-1024}
samples=${4:-30000}
epochs=${5:-4}
repeats=${6:-1}
[ "$(id -u)" = 0 ] || { echo "shaped-link: needs root (network namespaces and tc)" >&2; exit 2; }
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || { echo "shaped-link: needs $data: apt-get install dataset-fashion-mnist" >&2; exit 2; }
dotnet build src/Coordinator -c Release -v q >/dev/null
dotnet build src/Worker -c Release -v q >/dev/null
C=$PWD/src/Coordinator/bin/Release/net10.0/ActorNet.Coordinator.dll
W=$PWD/src/Worker/bin/Release/net10.0/ActorNet.Worker.dll
work=$(mktemp -d)
hosts=(an-coord $(seq -f "an-w%g" 1 "$workers"))
pids=()

cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  for h in "${hosts[@]}"; do ip netns del "$h" 2>/dev/null || true; ip link del "$h-br" 2>/dev/null || true; done
  ip link del an-br 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The bridge in this namespace (10.77.0.254, from which runs are submitted) and one host per node.
ip link add an-br type bridge
ip addr add 10.77.0.254/24 dev an-br
ip link set an-br up
for i in "${!hosts[@]}"; do
  h=${hosts[$i]}
  ip netns add "$h"
  ip link add "$h-br" type veth peer name eth0 netns "$h"
  ip link set "$h-br" master an-br up
  ip netns exec "$h" ip addr add "10.77.0.$((i + 1))/24" dev eth0
  ip netns exec "$h" ip link set eth0 up
  ip netns exec "$h" ip link set lo up
done

# shape RATE|off: a token bucket on both ends of every host's veth (each direction of its link),
# whose burst is 1 ms at RATE: a larger bucket would let a whole 0.94 MB message through at the
# veth's own speed (a 1 MB burst did: shaped runs were as fast as unshaped ones), a smaller one
# cannot reach RATE with the kernel's timer. At 10 Gbit/s the 1.25 MB burst is still more than a
# message, so only rates up to a few Gbit/s are really shaped.
burst_of() { python3 -c "
import re, sys
m = re.fullmatch(r'([0-9.]+)([kmg]?)bit', sys.argv[1].lower())
bits = float(m.group(1)) * {'': 1, 'k': 1e3, 'm': 1e6, 'g': 1e9}[m.group(2)]
print(max(16000, int(bits / 8 / 1000)))" "$1"; }
shape() {
  for h in "${hosts[@]}"; do
    tc qdisc del dev "$h-br" root 2>/dev/null || true
    ip netns exec "$h" tc qdisc del dev eth0 root 2>/dev/null || true
    if [ "$1" != off ]; then
      tc qdisc add dev "$h-br" root tbf rate "$1" burst "$(burst_of "$1")" latency 50ms
      ip netns exec "$h" tc qdisc add dev eth0 root tbf rate "$1" burst "$(burst_of "$1")" latency 50ms
    fi
  done
}

# run: trains once on the links as they are; prints the last epoch's samples/s.
run() {
  local dir id status state
  dir=$(mktemp -d "$work/run-XXXX")
  ip netns exec an-coord dotnet "$C" --host 10.77.0.1 --port 4053 --urls http://10.77.0.1:8080 --db "$dir/actornet.db" \
    --log-file "$dir/coordinator.log" --log-level Warning >/dev/null 2>&1 & pids+=($!)
  for k in $(seq "$workers"); do
    ip netns exec "an-w$k" dotnet "$W" --host "10.77.0.$((k + 1))" --seed akka.tcp://actornet@10.77.0.1:4053 \
      --log-file "$dir/worker-$k.log" >/dev/null 2>&1 & pids+=($!)
  done
  for _ in $(seq 120); do curl -sf http://10.77.0.1:8080/api/runs >/dev/null && break; sleep 0.5; done
  spec=$(sed -e "s/\"batchSize\": 256/\"batchSize\": $batch/" -e "s/\"epochs\": 5/\"epochs\": $epochs/" \
             -e "s/\"scaling\": \"unitRange\"/\"scaling\": \"unitRange\", \"maxTrainSamples\": $samples/" examples/fashion-mnist.json)
  id=$(curl -sf -X POST -H "Content-Type: application/json" "http://10.77.0.1:8080/api/runs?minWorkers=$workers" --data-binary "$spec" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
  while :; do
    status=$(curl -sf "http://10.77.0.1:8080/api/runs/$id")
    state=$(echo "$status" | python3 -c 'import sys,json; print(json.load(sys.stdin)["state"])')
    [ "$state" = completed ] && break
    [ "$state" = failed ] && { echo "shaped-link: the run failed: $status" >&2; exit 1; }
    sleep 1
  done
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()
  echo "$status" | python3 -c 'import sys,json; print(round(json.load(sys.stdin)["samplesPerSecond"]))'
}

printf '%-7s %-8s %-7s %-6s %16s %16s %8s\n' repeat rate workers batch "shaped s/s" "unshaped s/s" ratio
for rep in $(seq "$repeats"); do
  shape "$rate"; shaped=$(run)
  shape off; plain=$(run)
  printf '%-7s %-8s %-7s %-6s %16s %16s %8s\n' "$rep" "$rate" "$workers" "$batch" "$shaped" "$plain" "$(python3 -c "print(f'{$shaped/$plain:.2f}x')")"
done

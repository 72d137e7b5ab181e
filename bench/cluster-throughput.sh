#!/usr/bin/env bash
# Cluster benchmark: trains the Fashion-MNIST 784-256-128-10 ReLU network on a coordinator
# and 1 or 2 worker processes on this machine, at global batch 256 and 1024, and prints
# samples per second (the last epoch's: the first pays for JIT and data loading), bytes
# each worker sent per step (from its log: every byte its process serialized while its
# replica lived, against the model's parameter bytes), CPU time per step (all processes
# together: where it nears cores × wall time, the machine, not the protocol, sets the pace),
# and the speed of 2 workers against 1.
#   bench/cluster-throughput.sh [train-samples] [epochs] [repeats]     (defaults 30000 6 1)
# Six epochs, so that CPU time is read over several polls even when an epoch takes a second.
# BATCHES="1024" chooses the global batch sizes (default "256 1024").
# With repeats > 1 the 1- and 2-worker runs of each batch size follow each other, repeats
# times, and each pair gives one ratio: on a shared, noisy machine compare runs side by side,
# and read the median.
# Needs Debian's dataset-fashion-mnist. Ports are chosen free; every process is stopped at the end.
# The nodes run with the environment the deploy files give them (deploy/node-environment.sh;
# DOTNET_GCgen0size=0 runs them with the runtime's default generation-0 budget instead).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/node-environment.sh
samples=${1:-30000}
epochs=${2:-6}
repeats=${3:-1}
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || { echo "needs $data: apt-get install dataset-fashion-mnist" >&2; exit 2; }
dotnet build src/Coordinator -c Release -v q >/dev/null
dotnet build src/Worker -c Release -v q >/dev/null
C=src/Coordinator/bin/Release/net10.0/ActorNet.Coordinator.dll
W=src/Worker/bin/Release/net10.0/ActorNet.Worker.dll
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
param_bytes=$(( 4 * ((784*256+256) + (256*128+128) + (128*10+10)) ))

ticks_per_second=$(getconf CLK_TCK)
# CPU time (user + system, in clock ticks) used so far by all the processes of a run.
cpu_ticks() { local p t=0; for p in "${pids[@]}"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo "$t"; }

# run WORKERS BATCH: trains once; sets sps (samples/s), per_step (bytes per worker per step) and
# cpu_step: CPU milliseconds per step, coordinator and workers together, then (in brackets) wall
# milliseconds per step, both between the first and the last poll of the run after epoch 1 (once a
# second; the epoch ends' evaluations and checkpoints in between are included).
# Not called in a subshell, so that the processes it starts are in pids for cleanup.
run() {
  local workers=$1 batch=$2 run akka http spec id status state epoch step now mark last mark_step mark_ticks mark_time last_step last_ticks last_time
  run=$(mktemp -d "$work/w$workers-b$batch-XXXX")
  akka=$(free_port); http=$(free_port)
  dotnet $C --port "$akka" --urls "http://127.0.0.1:$http" --db "$run/actornet.db" --log-file "$run/coordinator.log" --log-level Warning >/dev/null 2>&1 & pids+=($!)
  for k in $(seq "$workers"); do
    dotnet $W --seed "akka.tcp://actornet@127.0.0.1:$akka" --log-file "$run/worker-$k.log" >/dev/null 2>&1 & pids+=($!)
  done
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http/api/runs" >/dev/null && break; sleep 0.5; done
  spec=$(sed -e "s/\"batchSize\": 256/\"batchSize\": $batch/" -e "s/\"epochs\": 5/\"epochs\": $epochs/" \
             -e "s/\"scaling\": \"unitRange\"/\"scaling\": \"unitRange\", \"maxTrainSamples\": $samples/" examples/fashion-mnist.json)
  id=$(curl -sf -X POST -H "Content-Type: application/json" "http://127.0.0.1:$http/api/runs?minWorkers=$workers" --data-binary "$spec" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
  mark="" last=""
  while :; do
    status=$(curl -sf "http://127.0.0.1:$http/api/runs/$id")
    read -r state epoch step < <(echo "$status" | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["state"], d["epoch"], d["step"])')
    # CPU time is counted from the first poll after epoch 1 (JIT and data loading are over).
    if [ "$state" = running ] && [ "$epoch" -ge 1 ]; then
      now="$step $(cpu_ticks) $(date +%s.%N)"
      if [ -z "$mark" ]; then mark=$now; else last=$now; fi
    fi
    [ "$state" = completed ] && break
    [ "$state" = failed ] && { echo "run failed: $status" >&2; exit 1; }
    sleep 1
  done
  sps=$(echo "$status" | python3 -c 'import sys,json; print(round(json.load(sys.stdin)["samplesPerSecond"]))')
  cpu_step="-1 (-1)"
  if [ -n "$last" ]; then
    read -r mark_step mark_ticks mark_time <<< "$mark"
    read -r last_step last_ticks last_time <<< "$last"
    cpu_step=$(python3 -c "n = max($last_step - $mark_step, 1); print(f'{($last_ticks - $mark_ticks) * 1000 / $ticks_per_second / n:.1f} ({($last_time - $mark_time) * 1000 / n:.1f})')")
  fi
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()
  # The replica's last log line: "... N steps in S s; this process sent B bytes meanwhile".
  per_step=$(cat "$run"/worker-*.log | python3 -c '
import sys, json
rates = []
for line in sys.stdin:
    e = json.loads(line)
    if "Steps" in e and "Bytes" in e and int(e["Steps"]) > 0:
        rates.append(int(e["Bytes"]) / int(e["Steps"]))
print(round(max(rates)) if rates else -1)')
}

printf '%-6s %-6s %14s %14s %12s %18s %24s\n' repeat batch "1 worker s/s" "2 workers s/s" "2 against 1" "bytes/worker/step" "CPU ms/step (wall)"
results=()
for rep in $(seq "$repeats"); do
  for batch in ${BATCHES:-256 1024}; do
    run 1 "$batch"; one=$sps; bytes1=$per_step; cpu1=$cpu_step
    run 2 "$batch"; two=$sps; bytes2=$per_step; cpu2=$cpu_step
    ratio=$(python3 -c "print(f'{$two/$one:.2f}x')")
    results+=("$batch $two $one")
    printf '%-6s %-6s %14s %14s %12s %18s %24s\n' "$rep" "$batch" "$one" "$two" "$ratio" \
      "$(python3 -c "print(f'{$bytes1/$param_bytes:.2f}x, {$bytes2/$param_bytes:.2f}x')")" \
      "$cpu1, $cpu2"
  done
done
if [ "$repeats" -gt 1 ]; then
  printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
pairs = {}
for line in sys.stdin:
    b, two, one = line.split()
    pairs.setdefault(int(b), []).append(int(two) / int(one))
for b, r in sorted(pairs.items()):
    print(f"batch {b}: 2 workers against 1, median {statistics.median(r):.2f}x (from {min(r):.2f}x to {max(r):.2f}x over {len(r)} pairs)")'
fi
echo "model parameters: $param_bytes bytes (float32); bytes/worker/step as a multiple of them, with 1 and 2 workers"
echo "CPU ms/step (wall ms/step): user and system time of the coordinator and workers together, per step, between"
echo "  the first and last poll after epoch 1, evaluations at epoch ends included; with 1 and 2 workers."
echo "  On $(nproc) cores a step cannot take less wall time than its CPU time divided by $(nproc)."

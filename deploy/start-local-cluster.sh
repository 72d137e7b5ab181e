#!/usr/bin/env bash
# Starts a coordinator and N workers (default 2) on this machine, from the built binaries;
# Ctrl+C stops them all. Then: actornet submit examples/circles.json --coordinator http://127.0.0.1:5080 --watch
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-2}
. deploy/node-environment.sh
dotnet build src/Coordinator -c Release -v q >/dev/null
dotnet build src/Worker -c Release -v q >/dev/null
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
dotnet src/Coordinator/bin/Release/net10.0/ActorNet.Coordinator.dll --port 4053 --urls http://127.0.0.1:5080 & pids+=($!)
sleep 3
for _ in $(seq "$workers"); do
  dotnet src/Worker/bin/Release/net10.0/ActorNet.Worker.dll --seed akka.tcp://actornet@127.0.0.1:4053 & pids+=($!)
done
echo "coordinator: http://127.0.0.1:5080 (cluster port 4053), $workers worker(s); Ctrl+C stops them"
wait

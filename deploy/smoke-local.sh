#!/usr/bin/env bash
# Distributed-mode smoke test without a Docker engine (manual; not part of CI, it builds three services: ~6 min here).
#  1. Replays each service Dockerfile's build stages: a build context of `git archive HEAD` minus .dockerignore'd
#     folders; stage "projects" keeps only the COPY'd folders' project files; `dotnet restore`; the sources; then
#     `dotnet publish` of the project the Dockerfile names.
#  2. Starts a private RabbitMQ on 127.0.0.1 (../shared/tools/rabbitmq-local.sh) and the three published hosts with
#     docker-compose.yml's environment (hosts rewritten to 127.0.0.1, VECTOR_BACKEND=Embedded since no Qdrant server
#     exists here), as uid 65534 over read-only app folders, with only a writable /tmp and data folder.
#  3. Waits on deploy/docker/healthcheck.sh, ingests 500 sample pins over Ingestion's JSON API with the compose file's
#     demo admin key and searches Ranking with its storefront key (Ranking calls Vector with the service key); checks
#     that a call without a key, and the storefront key at Ingestion (which lists only admin keys), get 401.
# Needs: root (setpriv to drop privileges), rabbitmq-server (apt), python3 with PyYAML, docker-compose (apt).
# Usage: deploy/smoke-local.sh [work-dir]     Exit 0 when the search returns the ingested pins.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/recommender-smoke}"
amqp_port=5699
rmq="${RABBITMQ_LOCAL:-$root/../shared/tools/rabbitmq-local.sh}"   # the shared folder beside the repository
[[ -f "$rmq" ]] || { echo "needs $rmq (set RABBITMQ_LOCAL)"; exit 2; }
rm -rf "$work" && mkdir -p "$work/ctx" "$work/tmp" "$work/vector-data"
chmod 1777 "$work/tmp"; chmod 777 "$work/vector-data"
git -C "$root" archive HEAD | tar -x -C "$work/ctx"
grep -v '^#' "$root/.dockerignore" | grep -E '^[A-Za-z].*/$' | while read -r dir; do rm -rf "${work:?}/ctx/$dir"; done

build() { # build SERVICE: replay deploy/docker/SERVICE.Dockerfile's build stages into $work/SERVICE/app
  local s=$1 df="$work/ctx/deploy/docker/$1.Dockerfile" b="$work/$1"
  local project dirs
  project=$(grep -oE 'dotnet publish \S+\.csproj' "$df" | awk '{print $3}')
  dirs=$(awk '/^FROM .* AS projects/{p=1;next} /^FROM/{p=0} p && /^COPY /{print $2}' "$df")
  mkdir -p "$b/build"
  for d in $dirs; do mkdir -p "$b/build/$d" && cp -r "$work/ctx/$d." "$b/build/$d"; done
  (cd "$b/build" && find . -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' -delete)
  (cd "$work/ctx" && cp global.json Directory.Build.props Directory.Packages.props .editorconfig "$b/build/")
  (cd "$b/build" && dotnet restore "$project" > "$b/restore.log" 2>&1) || { tail -20 "$b/restore.log"; return 1; }
  for d in $dirs; do cp -r "$work/ctx/$d." "$b/build/$d"; done
  (cd "$b/build" && dotnet publish "$project" -c Release --no-restore -o "$b/app" /p:UseAppHost=false > "$b/publish.log" 2>&1) \
    || { tail -20 "$b/publish.log"; return 1; }
  chmod -R a-w "$b/app"
  echo "built $s from $df: $(ls "$b/app" | wc -l) files"
}

compose_env() { # compose_env SERVICE: its environment from `docker-compose config`, rewritten for this machine
  (cd "$root" && docker-compose -f docker-compose.yml config) | python3 -c "
import sys, yaml
env = yaml.safe_load(sys.stdin)['services']['$1'].get('environment', {})
for k, v in env.items():
    v = '' if v is None else str(v)
    if k == 'Messaging__RabbitMq__Host': v = '127.0.0.1'
    if k == 'Messaging__RabbitMq__Port': v = '$amqp_port'
    if k in ('Messaging__RabbitMq__Username', 'Messaging__RabbitMq__Password'): v = 'guest'
    if k == 'Vector__Backend': v = 'Embedded'
    print(f'{k}={v.replace(\"http://vector:\", \"http://127.0.0.1:\")}')"
}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$rmq" stop "$amqp_port" "$work/rmq" > /dev/null 2>&1 || true
}
trap cleanup EXIT

start() { # start SERVICE GRPC_PORT HTTP_PORT
  local s=$1 vars
  mapfile -t vars < <(compose_env "$s")
  # The image's ENV, and listening on loopback only.
  vars+=("ASPNETCORE_HTTP_PORTS=" "Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$2" "Kestrel__Endpoints__Http__Url=http://127.0.0.1:$3"
         "TMPDIR=$work/tmp" "HOME=$work/tmp")
  [[ $s == vector ]] && vars+=("Vector__Embedded__DataPath=$work/vector-data")  # the vector image's ENV
  (cd "$work/$s/app" && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
     env -i PATH=/usr/bin:/bin "${vars[@]}" dotnet "$(ls Recommender.*.Host.dll)") > "$work/$s.log" 2>&1 &
  pids+=($!)
}

for s in vector ingestion ranking; do build "$s"; done
bash "$rmq" start "$amqp_port" "$work/rmq"
start vector 5301 5300
start ingestion 5201 5200
start ranking 5101 5100
for port in 5300 5200 5100; do
  for i in $(seq 120); do
    "$root/deploy/docker/healthcheck.sh" "$port" /health/ready 2> /dev/null && { echo "ready: HTTP $port (after $i checks, 0.5 s apart)"; break; }
    ((i == 120)) && { echo "port $port never became ready"; tail -20 "$work"/*.log; exit 1; }
    sleep 0.5
  done
done

# The local demo keys documented in docker-compose.yml's header (the tenant comes from the key: "default").
demo_key() { grep -oE "^#\s+$1\s+rk_[0-9a-f]{64}" "$root/docker-compose.yml" | grep -oE 'rk_[0-9a-f]{64}'; }
admin_key=$(demo_key admin); storefront_key=$(demo_key storefront)
python3 -c "
import gzip, itertools, json, sys
with gzip.open(sys.argv[1], 'rt') as f:
    json.dump({'pins': [json.loads(l) for l in itertools.islice(f, 500)]}, sys.stdout)
" "$root/services/Embedded/SampleData/icecat-sample.jsonl.gz" > "$work/batch.json"
status() { curl -s -o /dev/null -w '%{http_code}' -m 10 "$@"; }
anonymous=$(status -X POST http://127.0.0.1:5100/v1/search -H 'content-type: application/json' -d '{"query":"ink"}')
storefront_ingest=$(status -X POST http://127.0.0.1:5200/v1/pins:upsert -H "x-api-key: $storefront_key" \
  -H 'content-type: application/json' -d '{"pins":[]}')
echo "search without a key: HTTP $anonymous; ingest with the storefront key: HTTP $storefront_ingest"
[[ $anonymous == 401 && $storefront_ingest == 401 ]] || { echo "auth not enforced as expected"; echo "smoke: 0 passed, 1 failed"; exit 1; }
curl -sf -m 60 -X POST http://127.0.0.1:5200/v1/pins:upsert -H "x-api-key: $admin_key" -H 'content-type: application/json' \
  --data @"$work/batch.json"; echo
for i in $(seq 30); do
  result=$(curl -sf -m 10 -X POST http://127.0.0.1:5100/v1/search -H "x-api-key: $storefront_key" -H 'content-type: application/json' \
    -d '{"query":"hp cyan ink","pageSize":3}' || true)
  if [[ "$result" == *'"id":"icecat-'* ]]; then
    echo "search: $(echo "$result" | python3 -c "import sys, json; print([r['pin']['title'] for r in json.load(sys.stdin)['results']])")"
    if grep -iE '\b(warn|fail)' "$work"/{vector,ingestion,ranking}.log; then echo "warnings above"; fi
    echo "smoke: 1 passed, 0 failed"
    exit 0
  fi
  sleep 1
done
echo "search never returned the ingested pins: $result"; echo "smoke: 0 passed, 1 failed"; exit 1

#!/usr/bin/env bash
# Offline validation of the deployment artifacts (no Docker engine or cluster needed):
#   1. docker-compose.yml      `docker-compose -f docker-compose.yml config -q` (Debian's docker-compose 1.29),
#                              with and without the optional "models" profile
#   2. kustomize               `kubectl kustomize` renders deploy/k8s/base and every overlay
#   3. schema + policy         each rendered object against the Kubernetes schemas of npm kubernetes-models
#                              (deploy/schema/validate.mjs; its --self-test proves planted mistakes are caught)
#   4. consistency             tests/Recommender.Deploy.Tests: env vars name real options (reflection over the
#                              built hosts), images/ports/probes match the Dockerfiles and appsettings.json
# Usage: deploy/validate.sh [--skip-dotnet]     (or DEPLOY_VALIDATE_SKIP_DOTNET=1)
# Exits non-zero when any step fails; the last line reads "deploy: N passed, N failed".
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
skip_dotnet="${DEPLOY_VALIDATE_SKIP_DOTNET:-0}"
[[ "${1:-}" == "--skip-dotnet" ]] && skip_dotnet=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
failures=()

step() { # step NAME COMMAND...: run, show its output indented, count the result
  local name="$1"; shift
  echo "== $name"
  if "$@" > "$work/step.log" 2>&1; then
    sed 's/^/   /' "$work/step.log"
    echo "   PASS $name"
    passed=$((passed + 1))
  else
    sed 's/^/   /' "$work/step.log"
    echo "   FAIL $name"
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

ensure_tool() { # ensure_tool COMMAND APT_PACKAGE
  command -v "$1" > /dev/null 2>&1 && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null; then
    echo "   installing $2 (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"; } > "$work/apt.log" 2>&1 \
      || { tail -5 "$work/apt.log"; return 1; }
  fi
  command -v "$1" > /dev/null 2>&1 || { echo "   $1 not found (apt package $2)"; return 1; }
}

compose_config() {
  local profile_args=("$@")
  ensure_tool docker-compose docker-compose || return 1
  docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /'
  # -q: validate only. The file must work without an .env file, so run with a clean environment for its variables.
  env -u RABBITMQ_USER -u RABBITMQ_PASSWORD -u VECTOR_BACKEND -u RECOMMENDER_TAG -u RECOMMENDER_AUTH_MODE -u RECOMMENDER_TENANT \
    -u RECOMMENDER_ADMIN_KEY -u RECOMMENDER_SERVICE_KEY -u RECOMMENDER_ADMIN_KEY_HASH -u RECOMMENDER_STOREFRONT_KEY_HASH -u RECOMMENDER_SERVICE_KEY_HASH \
    docker-compose -f docker-compose.yml "${profile_args[@]}" config -q || return 1
  echo "services: $(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')"
}

kustomize_all() {
  ensure_tool kubectl kubectl || return 1
  local dir out status=0
  for dir in deploy/k8s/base deploy/k8s/overlays/*/; do
    dir="${dir%/}"
    out="$work/$(echo "$dir" | tr '/' '_').yaml"
    if kubectl kustomize "$dir" > "$out" 2> "$work/kustomize.err"; then
      echo "$dir: $(grep -c '^kind:' "$out") objects ($(grep '^kind:' "$out" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}' | sed 's/, $//'))"
    else
      echo "$dir: kubectl kustomize failed"; cat "$work/kustomize.err"; status=1
    fi
  done
  return $status
}

schema_check() {
  ensure_tool node nodejs || return 1
  local rendered=("$work"/deploy_k8s_*.yaml)
  [[ -e "${rendered[0]}" ]] || { echo "nothing rendered"; return 1; }
  if [[ ! -d deploy/schema/node_modules/kubernetes-models ]]; then
    (cd deploy/schema && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  node deploy/schema/validate.mjs --self-test > "$work/selftest.log" 2>&1 || { cat "$work/selftest.log"; return 1; }
  tail -1 "$work/selftest.log"
  node deploy/schema/validate.mjs "${rendered[@]}"
}

consistency_tests() {
  cd tests/Recommender.Deploy.Tests && timeout 900 dotnet test
}

step "docker-compose config (default)" compose_config
step "docker-compose config (--profile models)" compose_config --profile models
step "kubectl kustomize (base, overlays)" kustomize_all
step "kubernetes-models schema + policy" schema_check
if [[ "$skip_dotnet" == 1 ]]; then
  echo "== config-consistency tests: skipped (--skip-dotnet)"
else
  step "config-consistency tests (tests/Recommender.Deploy.Tests)" consistency_tests
fi

echo
if ((failed)); then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "deploy: $passed passed, $failed failed"
((failed == 0))

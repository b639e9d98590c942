#!/usr/bin/env bash
# Runs the vector behaviour suite against a real Qdrant in Docker, then removes it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
compose="docker-compose -f $here/docker-compose.yml"
trap '$compose down -v >/dev/null 2>&1 || true' EXIT

$compose up -d
echo "waiting for Qdrant..."
for _ in $(seq 1 60); do
  if curl -fsS -H "api-key: test-key" http://127.0.0.1:6333/readyz >/dev/null 2>&1; then break; fi
  sleep 1
done

cd "$repo/tests/Recommender.Vector.Tests"
RECOMMENDER_QDRANT_TEST_ENDPOINT=http://localhost:6334 RECOMMENDER_QDRANT_TEST_API_KEY=test-key \
  dotnet test -- --filter-class Recommender.Vector.Tests.QdrantRealStoreTests

#!/bin/bash
# healthcheck PORT [PATH] - exit 0 when GET http://127.0.0.1:PORT/PATH answers 200.
# The runtime image has no curl or wget; bash's /dev/tcp is enough for one HTTP/1.1 request.
# Used by the images' HEALTHCHECK and by docker-compose.yml.
set -euo pipefail
port="${1:?usage: healthcheck PORT [PATH]}"
path="${2:-/health/ready}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3
[[ "$status" == "HTTP/1."?" 200 "* ]]

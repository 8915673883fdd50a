#!/usr/bin/env bash
# Installs what pipec's tests run for real, when it is missing: Debian's
# docker-registry (a real registry for `pipec lock`). kubectl, python3,
# gcloud and Java come with the machine image; tests that need a missing
# tool skip with a message saying what to install. With --bench it also
# installs gnuplot, which `make bench` draws its plot with.
set -euo pipefail

need=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
if [ "${1:-}" = --bench ]; then
  command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "setup: not installing ${need[*]} (needs root and apt-get); the tests that use them will skip" >&2
fi

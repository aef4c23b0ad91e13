#!/usr/bin/env bash
# The implementations written elsewhere that the tests check our code against, from Debian's packages:
# AWS's service models (python3-botocore's JSON; the wire-format, CloudWatch, Scheduler and Lambda model tests,
# see test/support/aws-models/service-models.ts) and Debian's kubectl (the kubectl contract tests). Those tests
# fail, never skip, without them. Quick when both are present; `npm test` and `.ci/run` both call it.
set -euo pipefail
cd "$(dirname "$0")/.."
BOTOCORE_MODELS=/usr/lib/python3/dist-packages/botocore/data/dynamodb/2012-08-10/service-2.json
if [ -z "${BOTOCORE_DATA_DIR:-}" ] && [ ! -f "$BOTOCORE_MODELS" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  install_botocore() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends python3-botocore; }
  # apt-get update only when needed: the package lists do not know the package, or are too old to fetch it.
  if ! apt-cache show python3-botocore >/dev/null 2>&1 || ! install_botocore; then
    $SUDO apt-get update
    install_botocore
  fi
fi
# Debian's kubectl (kubernetes-client), unpacked into .cache/kubectl/ rather than installed, since another
# package may own /usr/bin/kubectl (test/support/kubectl.ts finds it there, or at KUBECTL_BIN).
if [ -z "${KUBECTL_BIN:-}" ]; then scripts/install-kubectl.sh >/dev/null; fi

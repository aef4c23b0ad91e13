#!/usr/bin/env bash
# Unpacks Debian's kubectl (package kubernetes-client, written by the Kubernetes project, not by us) into
# .cache/kubectl/ for the kubectl contract tests. It does not install the package: /usr/bin/kubectl may
# belong to another package (google-cloud-sdk's kubectl conflicts with it), so the .deb is only
# downloaded and extracted here. Prints the binary's path; the tests read it from KUBECTL_BIN or from
# .cache/kubectl/usr/bin/kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.cache/kubectl
binary="$target/usr/bin/kubectl"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# apt-get download needs package lists that know the package; refresh them only when they do not.
if ! (cd "$download" && apt-get download kubernetes-client >/dev/null 2>&1); then
  $SUDO apt-get update >/dev/null
  (cd "$download" && apt-get download kubernetes-client)
fi
mkdir -p "$target"
dpkg-deb -x "$download"/kubernetes-client_*.deb "$target"
if [ ! -x "$binary" ]; then
  echo "kubernetes-client's package did not contain usr/bin/kubectl" >&2
  exit 1
fi
echo "$binary"

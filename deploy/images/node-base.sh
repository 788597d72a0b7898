#!/usr/bin/env bash
# Builds the base image of minik8s's component image without a registry: a minimal
# Debian 12 root file system made by debootstrap from Debian's packages (with iptables,
# ca-certificates and procps), plus this machine's Node 20 runtime, imported as
# minik8s/node-base:20. Online, the component image starts FROM node:20-bookworm-slim
# instead, and this script is not needed.
# Usage: deploy/images/node-base.sh [tag]   (skips if the tag exists; FORCE=1 rebuilds)
set -euo pipefail
TAG=${1:-minik8s/node-base:20}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -z "${FORCE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi
NODE=$(command -v node)
case "$("$NODE" --version)" in v20.*) ;; *) echo "node-base.sh: needs Node 20 on the host, found $("$NODE" --version)" >&2; exit 1 ;; esac
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
root=$(mktemp -d /var/tmp/minik8s-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "[1/3] debootstrap bookworm (minbase + iptables, ca-certificates, procps) from $MIRROR" >&2
debootstrap --variant=minbase --include=iptables,ca-certificates,procps bookworm "$root" "$MIRROR" \
  | grep --line-buffered -E '^I: (Retrieving|Validating|Extracting|Installing|Configuring|Base system)' \
  | awk '{ n++; if (n % 20 == 0 || /Base system/) { print "  " $0; fflush() } }' >&2
echo "[2/3] adding Node $("$NODE" --version) from $NODE" >&2
cp "$NODE" "$root/usr/local/bin/node"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man"
echo "[3/3] importing $TAG" >&2
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["node"]' - "$TAG" >/dev/null
echo "built $TAG" >&2

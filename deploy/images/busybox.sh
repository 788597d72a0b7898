#!/usr/bin/env bash
# Builds minik8s/busybox:latest from Debian's busybox-static, offline: one static binary
# and its applet links, imported as an image. Pods in tests and the Pod sandbox use it.
# Usage: deploy/images/busybox.sh [tag]   (rebuilds only if the tag is missing; FORCE=1 rebuilds)
set -euo pipefail
TAG=${1:-minik8s/busybox:latest}
if [ -z "${FORCE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi
BUSYBOX=/bin/busybox
if ! { ldd "$BUSYBOX" 2>&1 || true; } | grep -q 'not a dynamic'; then
  echo "installing busybox-static" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo "building $TAG from $BUSYBOX" >&2
tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$TAG" >/dev/null

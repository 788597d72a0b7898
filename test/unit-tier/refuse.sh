#!/bin/sh
# On the unit tier's PATH in place of kubectl, etcd, docker, ip and iptables: a unit test
# must not need them. One that does belongs in a tier named for it (*.kubectl.test.ts,
# *.etcd.test.ts, *.docker.test.ts, *.root.test.ts); see vitest.config.ts.
echo "$(basename "$0") is not available to the unit tier: name the test file for what it needs (see vitest.config.ts)" >&2
exit 127

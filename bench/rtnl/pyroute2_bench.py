#!/usr/bin/python3
# pyroute2 (Debian's python3-pyroute2) doing the benchmark's work, one request per object as
# its API does, inside the namespace: prints {"seconds": S, "errors": N}.
# usage: pyroute2_bench.py NETNS rules|routes add|del COUNT IFINDEX
import json
import sys
import time

from pyroute2 import IPRoute
from pyroute2.netns import setns

netns, kind, op, count, ifindex = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
setns(netns)
ipr = IPRoute()
errors = 0
start = time.monotonic()
if kind == 'rules':
    for i in range(count):
        try:
            ipr.rule(op, table=100, priority=1000 + i, fwmark=i + 1)
        except Exception:
            errors += 1
else:
    for i in range(count):
        try:
            ipr.route(op, dst='10.%d.%d.%d' % (i >> 16, (i >> 8) & 255, i & 255), dst_len=32, oif=ifindex, table=100, scope=253)  # scope link, as ip and the others use
        except Exception:
            errors += 1
seconds = time.monotonic() - start
ipr.close()
print(json.dumps({'seconds': seconds, 'errors': errors}))

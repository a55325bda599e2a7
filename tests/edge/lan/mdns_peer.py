"""One caja's mDNS discovery in its own process (run inside a network namespace by
test_discovery.py): announce, print the peers seen once `expect` of them are (or at the
deadline), then again at each line read from stdin, announcing until stdin closes.

    python -m tests.edge.lan.mdns_peer DEVICE SEDE PORT INTERFACE_IP EXPECT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from stocky.edge.lan.discovery import MdnsPeers
from stocky.edge.lan.identity import LanIdentity

DEADLINE_S = 30.0


async def main(device_id: str, sede_id: str, port: int, interface_ip: str, expect: int) -> None:
    nowhere = Path("/nonexistent")
    identity = LanIdentity(device_id, sede_id, "tenant", nowhere, nowhere, nowhere)
    peers = MdnsPeers(identity, port, interface_ip)
    await peers.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(peers.addresses()) < expect and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        print(json.dumps(peers.addresses()), flush=True)
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, sys.stdin.readline):
            print(json.dumps(peers.addresses()), flush=True)
    finally:
        await peers.stop()


if __name__ == "__main__":
    device, sede, port, ip, expect = sys.argv[1:6]
    asyncio.run(main(device, sede, int(port), ip, int(expect)))

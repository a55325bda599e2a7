"""Discovery: the static list as given; mDNS between cajas in network namespaces the test
makes (root only: a switch namespace with a bridge, one namespace per caja), where each caja
finds its sede's others and never another sede's nor itself."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocky.edge.lan.discovery import StaticPeers

REPO = Path(__file__).resolve().parents[3]
DEADLINE_S = 60.0


@pytest.mark.asyncio
async def test_static_peers_are_the_settings_list() -> None:
    peers = StaticPeers([("10.0.0.2", 3001), ("10.0.0.3", 3001)], exclude=[("10.0.0.3", 3001)])
    await peers.start()
    assert peers.addresses() == [("10.0.0.2", 3001)]
    await peers.stop()


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def switched_namespaces(count: int) -> Iterator[list[tuple[str, str]]]:
    """`count` namespaces on one bridge (in a namespace of its own, so the host's network is
    untouched): [(namespace, ip)]. Everything goes with the namespaces."""
    tag = f"{os.getpid() % 10000}{uuid.uuid4().hex[:3]}"
    switch = f"stkysw{tag}"
    made: list[str] = []
    cajas: list[tuple[str, str]] = []
    try:
        _ip("netns", "add", switch)
        made.append(switch)
        _ip("-n", switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", switch, "link", "set", "br0", "up")
        for n in range(1, count + 1):
            ns, ip = f"stky{tag}c{n}", f"10.77.0.{n}"
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip(
                "-n",
                ns,
                "link",
                "add",
                "eth0",
                "type",
                "veth",
                "peer",
                "name",
                f"p{n}",
                "netns",
                switch,
            )
            _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up", "multicast", "on")
            _ip("-n", switch, "link", "set", f"p{n}", "master", "br0")
            _ip("-n", switch, "link", "set", f"p{n}", "up")
            cajas.append((ns, ip))
        yield cajas
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def _can_make_namespaces() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None and sys.platform == "linux"


@pytest.mark.skipif(not _can_make_namespaces(), reason="network namespaces need root and ip(8)")
def test_mdns_finds_the_sede_s_cajas_only() -> None:
    centro, norte = str(uuid.uuid4()), str(uuid.uuid4())
    cajas = [
        (str(uuid.uuid4()), centro, 3101, 1),  # sees caja 2
        (str(uuid.uuid4()), centro, 3102, 1),  # sees caja 1
        (str(uuid.uuid4()), norte, 3103, 0),  # alone in its sede
    ]
    try:
        context = switched_namespaces(len(cajas))
        spaces = context.__enter__()
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"cannot make network namespaces here: {exc}")
    procs: list[subprocess.Popen[str]] = []
    try:
        for (device, sede, port, expect), (ns, ip) in zip(cajas, spaces, strict=True):
            procs.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        ns,
                        sys.executable,
                        "-m",
                        "tests.edge.lan.mdns_peer",
                        device,
                        sede,
                        str(port),
                        ip,
                        str(expect),
                    ],
                    cwd=REPO,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:  # each is ready within its own 30 s deadline
            assert proc.stdout is not None
            proc.stdout.readline()
        # Once both of Centro's cajas found each other, every caja has announced: what
        # does each one see now?
        seen = []
        for proc in procs:
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write("report\n")
            proc.stdin.flush()
            seen.append({tuple(a) for a in json.loads(proc.stdout.readline())})
        ip1, ip2 = spaces[0][1], spaces[1][1]
        assert seen[0] == {(ip2, 3102)}
        assert seen[1] == {(ip1, 3101)}
        assert seen[2] == set()  # Norte's caja: nobody of its sede
    finally:
        for proc in procs:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        context.__exit__(None, None, None)

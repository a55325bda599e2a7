"""The launcher: a pending version that crashes before its health check (it cannot roll
itself back) is rolled back, and the previous slot runs again; a restart exit (75) starts
whatever the pointer names."""

from __future__ import annotations

import json
from pathlib import Path

from stocky.edge.updates.launcher import launch
from stocky.edge.updates.service import RESTART_EXIT
from stocky.edge.updates.slots import MANIFEST, Install, init_install


def _app(folder: Path, version: str, body: str) -> Path:
    folder.mkdir(parents=True)
    script = folder / "run"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return folder


def test_a_pending_version_that_crashes_is_rolled_back(tmp_path: Path) -> None:
    runs = tmp_path / "runs.log"
    root_json = tmp_path / "root.json"
    root_json.write_text("{}")
    old = _app(tmp_path / "v1", "1.2.0", f'echo "1.2.0 $*" >> {runs}; exit 0')
    install = init_install(
        tmp_path / "caja", old, version="1.2.0", entry="run", trusted_root=root_json
    )
    # 1.3.0 staged in slot b and switched to, as a restart leaves it; then it crashes.
    new = install.slot_dir("b")
    new.rmdir()
    _app(new, "1.3.0", f'echo "1.3.0 $*" >> {runs}; exit 3')
    (new / MANIFEST).write_text(json.dumps({"version": "1.3.0", "entry": "run"}))
    state = install.load()
    state.current, state.previous = "b", "a"
    state.pending = {"slot": "b", "version": "1.3.0", "previous_version": "1.2.0"}
    install.save(state)
    install.point_to("b")

    assert launch(install.root, ["edge", "run"]) == 0

    assert runs.read_text().splitlines() == ["1.3.0 edge run", "1.2.0 edge run"]
    assert install.pointed() == "a"
    state = Install(install.root).load()
    assert state.current == "a"
    assert state.pending is None
    assert state.last_failure is not None
    assert state.last_failure["version"] == "1.3.0"
    assert "exited with 3" in state.last_failure["reason"]
    assert state.last_failure["reported"] is False


def test_a_restart_exit_starts_the_pointed_slot(tmp_path: Path) -> None:
    runs = tmp_path / "runs.log"
    root_json = tmp_path / "root.json"
    root_json.write_text("{}")
    caja = tmp_path / "caja"
    # Slot a moves the pointer to b and asks for a restart, as POST /local/update/restart does.
    old = _app(
        tmp_path / "v1",
        "1.2.0",
        f"echo 1.2.0 >> {runs}; ln -sfn slots/b {caja}/current.new && "
        f"mv -T {caja}/current.new {caja}/current; exit {RESTART_EXIT}",
    )
    install = init_install(caja, old, version="1.2.0", entry="run", trusted_root=root_json)
    new = install.slot_dir("b")
    new.rmdir()
    _app(new, "1.3.0", f"echo 1.3.0 >> {runs}; exit 0")
    (new / MANIFEST).write_text(json.dumps({"version": "1.3.0", "entry": "run"}))

    assert launch(install.root, []) == 0
    assert runs.read_text().splitlines() == ["1.2.0", "1.3.0"]
    assert install.pointed() == "b"

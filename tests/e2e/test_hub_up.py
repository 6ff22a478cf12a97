"""`hub up` (what `make run` runs): a process that dies stops the hub, which says so in its exit
status, as a supervisor or a script expects."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = command[-2].decode() if len(command) > 1 else ""
    return found


def test_hub_up_exits_non_zero_when_a_process_fails(hub):
    children = _children(hub.process.pid)
    [notifications] = [pid for pid, name in children.items() if name == "notifications"]
    os.kill(notifications, signal.SIGKILL)
    assert hub.process.wait(timeout=60) == 1
    hub.exit_code = 1
    assert "notifications exited" in hub.log()
    assert all(not Path(f"/proc/{pid}").exists() for pid in children), "children left running"

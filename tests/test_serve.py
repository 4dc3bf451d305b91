"""`flask serve` (what `make run` runs): the pages and the scheduler from one command, and Ctrl-C stops both.
Real processes on a scratch SQLite file, as a person at a terminal would start them."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from . import real_clock

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads children from /proc (Linux)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name in /proc/<pid>/stat is in parentheses and may hold spaces: split after it.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == pid:
            found.append((int(entry.name), command))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _exit_status(process: subprocess.Popen, seconds: float = 30) -> int | None:
    """Popen.wait(timeout) sleeps with time.sleep, which fails under CI's moved clock (see real_clock)."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        threading.Event().wait(0.1)
    return process.returncode


@pytest.fixture
def served(tmp_path):
    """A started `flask serve`, its port and its scheduler's pid; killed at the end if a test left it."""
    port = _free_port()
    env = real_clock.environment(DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, start_new_session=True,  # a terminal's own process group
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                threading.Event().wait(0.2)  # not time.sleep: see real_clock
        schedulers = [pid for pid, command in _children(server.pid) if command.rstrip().endswith(" scheduler")]
        assert len(schedulers) == 1, _children(server.pid)
        yield server, schedulers[0]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_serve_runs_the_scheduler_beside_the_pages_and_ctrl_c_stops_both(served):
    server, scheduler = served
    assert _alive(scheduler)
    os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does: the foreground process group
    assert _exit_status(server) == 0
    assert not _alive(scheduler)


def test_the_server_stops_when_its_scheduler_dies(served):
    server, scheduler = served
    os.kill(scheduler, signal.SIGKILL)
    assert _exit_status(server) == 1  # not a server quietly running without its jobs

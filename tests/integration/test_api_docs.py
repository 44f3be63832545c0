"""The walk-through of docs/api.md runs as written against a real server (curl + uvicorn)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# Until the lead mounts `finmon users` and `finmon serve`, run the command modules directly.
PREAMBLE = """
set -euo pipefail
finmon() {
  case "$1" in
    users) shift; python -m finmon.commands.users "$@" ;;
    serve) shift; python -m finmon.commands.serve "$@" >server.log 2>&1 & echo $! >"$SERVER_PID" ;;
    *) command finmon "$@" ;;
  esac
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def walkthrough(port: int) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    script = "\n".join(blocks).replace(":8000", f":{port}").replace("--port 8000", f"--port {port}")
    return PREAMBLE + script


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_walkthrough_runs(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SERVER_PID": str(pid_file),
        "FINMON_DATA_DIR": str(tmp_path / "unused"),  # the script sets its own
    }
    try:
        done = subprocess.run(
            ["bash", "-c", walkthrough(_free_port())],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert '"status":"decided"' in done.stdout  # stored and scored on ingest
    assert '"valid":false' in done.stdout  # the linted draft ...
    assert '"line":6' in done.stdout  # ... located
    assert "401" in done.stdout
    assert '"field":"colour"' in done.stdout
    assert '"ok":true' in done.stdout
    assert '"replayed":true' in done.stdout  # the ledger retry returned the first receipt

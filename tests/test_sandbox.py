"""The grader's sandbox, piece by piece: what it hides, what it accepts back, and that it really isolates."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lectures_lib
from lectures_lib.grading import sandbox

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(lectures_lib.__file__).resolve().parent


def test_layout_hides_the_grader_and_shows_the_environment(tmp_path):
    private = tmp_path / "submissions"
    private.mkdir()
    plan = sandbox.layout([private])
    assert private.resolve() in plan.hidden and Path.home().resolve() in plan.hidden
    assert PACKAGE / "grading" in plan.hidden_inside  # the grader's own code
    for needed in (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()):
        # the environment stays visible: it is outside every hidden folder, or shown again
        assert needed in plan.shown or not any(needed == h or h in needed.parents for h in plan.hidden)
    if (PACKAGE.parent / "pyproject.toml").is_file():  # an editable install: the checkout is hidden
        assert PACKAGE.parent in plan.hidden and PACKAGE in plan.shown


def test_the_command_isolates_and_clears_the_environment(tmp_path):
    command = sandbox.bwrap_command(["python", "-c", "pass"], [tmp_path])
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--clearenv",
                 "--new-session", "--as-pid-1"):
        assert flag in command
    assert command[command.index("--cap-drop") + 1] == "ALL"
    assert command[-4:] == ["--", "python", "-c", "pass"]
    assert command.index("/tmp") < command.index(str(tmp_path.resolve()))  # private /tmp first, then the rest


@pytest.mark.parametrize("line, ok", [
    ({"type": "started"}, True),
    ({"type": "cell", "index": 3, "errors": ["ValueError"], "timed_out": False, "stream": "x"}, True),
    ({"type": "cell", "index": True, "errors": [], "timed_out": False}, False),   # a bool is not an index
    ({"type": "cell", "index": 1, "errors": "ValueError", "timed_out": False}, False),
    ({"type": "cell", "index": 1, "errors": [3], "timed_out": False}, False),
    ({"type": "cell", "index": 1, "errors": [], "timed_out": False, "stream": ["x"]}, False),
    ({"type": "event", "kind": "kernel died", "detail": "stopped"}, True),
    ({"type": "event", "kind": "pid", "detail": "1"}, False),                     # no other kind of event
    ({"type": "kernel_pid", "pid": 1}, False),
    (["started"], False),
    ("end", False),
])
def test_only_the_workers_line_types_are_accepted(line, ok):
    assert sandbox.valid_line(line) is ok


def test_missing_bubblewrap_is_named(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "bwrap-that-does-not-exist")
    assert "apt-get install bubblewrap" in sandbox.sandbox_problem()


@pytest.fixture(scope="module")
def inside():
    """What a cell sees from inside the sandbox, reported through the worker's own protocol."""
    if sandbox.sandbox_problem():
        pytest.fail(f"the sandbox tests need bubblewrap: {sandbox.sandbox_problem()}")
    probe = (
        "import json, os, socket\n"
        "seen = {'uid': os.getuid(), 'pids': len([p for p in os.listdir('/proc') if p.isdigit()]),\n"
        f"        'checkout': os.listdir({str(ROOT)!r}) if os.path.isdir({str(ROOT)!r}) else None,\n"
        f"        'grading': sorted(os.listdir({str(PACKAGE / 'grading')!r})),\n"
        "        'home': os.environ['HOME'], 'env': sorted(os.environ)}\n"
        "try:\n"
        "    socket.create_connection(('10.255.255.1', 9), timeout=1); seen['network'] = True\n"
        "except OSError:\n"
        "    seen['network'] = False\n"
        "try:\n"
        f"    open({str(PACKAGE / '__init__.py')!r}, 'a'); seen['writable'] = True\n"
        "except OSError:\n"
        "    seen['writable'] = False\n"
        "seen['shadow'] = os.path.exists('/etc/shadow')\n"
        "seen['rw_mounts'] = sorted(line.split()[4] for line in open('/proc/self/mountinfo')\n"
        "                          if line.split()[5].split(',')[0] == 'rw')\n"
        "try:\n"  # a harmless kernel setting: if this write worked, core_pattern or modprobe would be writable too
        "    open('/proc/sys/vm/drop_caches', 'w').write('1')\n"
        "    seen['sysctl_writable'] = True\n"
        "except OSError:\n"
        "    seen['sysctl_writable'] = False\n"
        "seen['run'] = os.listdir('/run') if os.path.isdir('/run') else []\n"
        "seen['var'] = os.listdir('/var') if os.path.isdir('/var') else []\n"
        "try:\n"
        "    with open('/dev/shm/big', 'wb') as handle:\n"
        "        for _ in range(40):\n"
        "            handle.write(b'x' * 4 * 1024**2)\n"
        "    seen['shm_160mb'] = True\n"
        "except OSError:\n"
        "    seen['shm_160mb'] = False\n"
        "print(json.dumps(seen))\n"
    )
    job = {"cells": [{"role": "extract:probe", "source": probe}], "cell_timeout": 30,
           "memory_limit_bytes": 3 * 1024**3}
    report = sandbox.run_in_sandbox(job, wall_seconds=60, private=[])
    assert report.ended and not report.problems, report
    [cell] = [line for line in report.lines if line["type"] == "cell"]
    return json.loads(cell["stream"])


def test_inside_the_sandbox(inside):
    assert inside["uid"] == 65534                    # nobody, in a user namespace of its own
    assert inside["pids"] < 10                       # its own PID namespace: the worker and the kernel
    assert inside["grading"] == []                   # the grader's code is not there
    assert inside["checkout"] in (None, ["lectures_lib", ".venv"], [".venv", "lectures_lib"])
    assert inside["network"] is False and inside["writable"] is False
    assert inside["home"].startswith("/tmp/")
    assert inside["sysctl_writable"] is False        # /proc/sys is read-only: no host kernel setting can change
    # writable: only the private in-memory /tmp and /dev/shm (bounded), /proc of its own processes, and devices
    assert set(inside["rw_mounts"]) <= {"/tmp", "/dev/shm", "/proc", "/dev/pts", "/dev/null", "/dev/zero", "/dev/full",
                                       "/dev/random", "/dev/urandom", "/dev/tty"}, inside["rw_mounts"]
    assert inside["shadow"] is False                 # no password hashes: /etc is cut down to what Python needs
    assert inside["run"] == [] and inside["var"] == []  # no daemon sockets, no /var
    assert inside["shm_160mb"] is False              # /dev/shm is small and in memory
    assert "LECTURES_LIB_GRADING_TAG" not in inside["env"] or os.environ.get("LECTURES_LIB_GRADING_TAG")
    assert not {"PATH", "HOME"} - set(inside["env"]) and "SSH_AUTH_SOCK" not in inside["env"]


@pytest.mark.parametrize("controller, settings", [
    ("memory", {"memory.limit_in_bytes": 2 * 1024**3}),
    ("cpu", {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": 100_000}),
])
def test_the_sandbox_shares_one_memory_budget_and_one_core(controller, settings):
    """Where the machine has cgroup-v1 folders the grader may write (this one and CI do), each sandbox gets its
    own child group: one memory budget for all its processes, and at most one core."""
    limit = sandbox._CgroupLimit(controller, settings)
    parent = sandbox._own_cgroup(controller)
    assert limit.path is not None, f"no {controller} control group could be made under {parent}"
    try:
        for name, value in settings.items():
            assert int((limit.path / name).read_text().split()[0]) == value
        child = subprocess.Popen(["sleep", "5"], preexec_fn=limit.enter)
        assert str(child.pid) in (limit.path / "cgroup.procs").read_text().split()
        child.kill()
        child.wait()
    finally:
        limit.close()
    assert not limit.path.exists()

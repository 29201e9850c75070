"""Run the worker on one rebuilt submission inside a bubblewrap sandbox, and read its report.

The sandbox (``bwrap``, Debian package ``bubblewrap``) gives each submission

* its own PID, network, IPC and user namespaces: no network, no view of other processes, and every
  process the student starts dies when the sandbox is killed;
* a read-only view of the system folders only (``/usr``, ``/etc`` cut down to :data:`ETC_KEPT`, ...):
  every other top-level folder, the grader's home, the checkout, the instructor sources, the
  submissions and the output folder are replaced by empty ones, and then the Python environment and
  ``lectures_lib`` (without its ``grading`` package) are shown again. The sandbox runs as root mapped to
  an unprivileged user, so it must not see files that only root may read: hence the cut-down ``/etc``
  (no password hashes or keys) and no ``/run`` (no daemon's socket);
* a private ``/tmp`` of at most :data:`TMP_BYTES` and a ``/dev/shm`` of at most :data:`SHM_BYTES`, in
  memory, which vanish with the sandbox (so does whatever the student wrote there);
* limits: a maximum file size, an address-space limit on the kernel, and, where the machine lets the
  grader make control groups, a maximum number of processes, one memory budget for all its processes
  and at most one core; and a wall-clock limit.

The sandbox gets the rebuilt notebook on standard input and answers with JSON lines on a pipe
(see :mod:`.worker`); the grader reads at most :data:`MAX_REPORT_BYTES`, validates every line against
the worker's schema and kills the sandbox, never a process whose number it was told.

Where bubblewrap cannot run (not installed, or no user namespaces), :func:`sandbox_problem` says why
and the grader refuses to grade unless it is told to run unsandboxed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import lectures_lib

from . import worker as worker_module

#: Size of the sandbox's private /tmp (memory), largest file a submission may write, processes it may run.
TMP_BYTES = 256 * 1024**2
MAX_FILE_BYTES = 64 * 1024**2
MAX_PROCESSES = 64
#: Memory the worker and the sandbox may use beside the kernel's own limit, in the sandbox's memory group.
WORKER_BYTES = 1024**3
#: The most the grader reads from one sandbox, and the longest line it accepts.
MAX_REPORT_BYTES = 8 * 1024**2
MAX_LINE_BYTES = 1024**2
BWRAP = "bwrap"
PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
SANDBOX_HOME = "/tmp/home"
#: Top-level folders of the machine a sandbox keeps (read-only); every other one (homes, /root, /run with its
#: sockets, /var, /srv, /opt, /mnt, anything site-specific) is replaced by an empty folder, and every
#: top-level file by an empty file. The Python environment is shown again wherever it lives.
SYSTEM_FOLDERS = frozenset({"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "proc", "sys",
                            "tmp"})
#: The only entries of /etc a sandbox sees: what the dynamic loader, Python, Jupyter and matplotlib read.
#: Password hashes, keys and the rest of /etc are not there.
ETC_KEPT = ("passwd", "group", "nsswitch.conf", "host.conf", "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
            "localtime", "timezone", "alternatives", "fonts", "mime.types", "os-release", "debian_version",
            "matplotlibrc", "ssl")
#: Parts of /proc that a process owning root's files could write to: mounted read-only in the sandbox.
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")
#: Size of the sandbox's /dev/shm, in memory like /tmp.
SHM_BYTES = 64 * 1024**2


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here; the message says why and what to do."""


def _bwrap_base() -> list[str]:
    # --as-pid-1: the worker itself is PID 1, so no other process in the sandbox holds the report pipe (bwrap's
    # own init would, and a kernel could open it through /proc/1/fd); an init cannot be killed from inside.
    # The sandbox's user is root mapped to an unprivileged one: it owns what root owns, so the kernel
    # settings under /proc/sys (core_pattern, modprobe, ...) would be writable from inside. They are
    # covered read-only, as are the other writable corners of /proc.
    covered = [arg for name in PROC_COVERED if os.path.exists(f"/proc/{name}")
               for arg in ("--ro-bind", f"/proc/{name}", f"/proc/{name}")]
    # --disable-userns: no namespace of its own inside, so no capabilities there either.
    return [BWRAP, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534",
            "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", "--as-pid-1", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc", *covered]


def sandbox_problem() -> str | None:
    """``None`` when bubblewrap runs here, else the reason it does not and the command that fixes it."""
    if shutil.which(BWRAP) is None:
        return "bubblewrap is not installed: run `apt-get install bubblewrap` (Debian, Ubuntu)"
    try:
        probe = subprocess.run([*_bwrap_base(), "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start: {type(error).__name__}"
    if probe.returncode != 0:
        reason = probe.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return (f"bubblewrap cannot make a sandbox here ({reason[0][:200]}); user namespaces may be disabled "
                "(sysctl kernel.unprivileged_userns_clone=1, or run the grader as root)")
    return None


@dataclass(frozen=True)
class Layout:
    """What the sandbox hides and what it shows again (read-only) on top of a read-only root."""

    hidden: tuple[Path, ...]
    shown: tuple[Path, ...]
    hidden_inside: tuple[Path, ...]
    hidden_files: tuple[Path, ...] = ()


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def layout(private: list[Path]) -> Layout:
    """Hide the grader's home, the checkout and every folder in ``private``; show the Python environment
    and ``lectures_lib`` again, without its ``grading`` package."""
    package = Path(lectures_lib.__file__).resolve().parent
    shown = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), package}
    shown |= {Path(p).resolve() for p in sys.path if p and Path(p).is_dir() and "site-packages" in p}
    hidden = {Path(p).resolve() for p in private if Path(p).exists()}
    hidden.add(Path.home().resolve())
    hidden_files = []
    for entry in sorted(Path("/").iterdir()):
        if entry.name in SYSTEM_FOLDERS or entry.is_symlink():
            continue
        if entry.is_dir():
            hidden.add(entry)
        elif entry.is_file():
            hidden_files.append(entry)
    if (package.parent / "pyproject.toml").is_file():  # an editable install: the checkout itself
        hidden.add(package.parent)
    hidden = {h for h in hidden if h != Path("/") and h not in shown}
    # a shown folder inside a hidden one comes back; a private folder inside a shown one is hidden again
    inside = {h for h in hidden if any(_is_within(h, s) for s in shown)} | {package / "grading"}
    shown = {s for s in shown if any(_is_within(s, h) for h in hidden)}
    return Layout(tuple(sorted(hidden, key=lambda p: len(p.parts))), tuple(sorted(shown, key=lambda p: len(p.parts))),
                  tuple(sorted(inside, key=lambda p: len(p.parts))), tuple(hidden_files))


def bwrap_command(command: list[str], private: list[Path]) -> list[str]:
    """The full ``bwrap`` command line that runs ``command`` in a sandbox hiding ``private``."""
    plan = layout(private)
    # the private /tmp first, so that a checkout or environment under /tmp can still be shown on top of it
    args = [*_bwrap_base(), "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--size", str(SHM_BYTES),
            "--tmpfs", "/dev/shm", "--tmpfs", "/etc"]
    for name in ETC_KEPT:
        if os.path.lexists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for path in plan.hidden:
        args += ["--tmpfs", str(path)]
    for path in plan.hidden_files:
        args += ["--ro-bind", "/dev/null", str(path)]
    for path in plan.shown:
        args += ["--ro-bind", str(path), str(path)]
    for path in plan.hidden_inside:
        args += ["--tmpfs", str(path)]
    # the empty folders that hide things are made read-only once everything shown inside them is in place,
    # so that nothing can be written there (they are in memory and, unlike /tmp, have no size limit)
    for path in ("/dev", "/etc", *map(str, plan.hidden), *map(str, plan.hidden_inside)):
        args += ["--remount-ro", path]
    args += ["--dir", SANDBOX_HOME, "--chdir", SANDBOX_HOME, "--clearenv"]
    for name, value in environment(SANDBOX_HOME).items():
        args += ["--setenv", name, value]
    return [*args, "--", *command]


#: A variable passed into the sandbox when the grader has it: a label by which tests and administrators can
#: find the sandbox's processes from outside (every other variable of the grader is left out).
TAG_VARIABLE = "LECTURES_LIB_GRADING_TAG"


def environment(home: str) -> dict[str, str]:
    """The worker's whole environment: a private home and Jupyter folders, one BLAS thread, no user site."""
    tag = {TAG_VARIABLE: os.environ[TAG_VARIABLE][:100]} if os.environ.get(TAG_VARIABLE) else {}
    return {**tag,
        "HOME": home, "PATH": f"{Path(os.path.abspath(sys.executable)).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
        "IPYTHONDIR": f"{home}/.ipython", "JUPYTER_RUNTIME_DIR": f"{home}/.runtime",
        "JUPYTER_DATA_DIR": f"{home}/.jupyter-data", "MPLCONFIGDIR": f"{home}/.matplotlib", "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1",
    }


def _own_cgroup(controller: str) -> Path | None:
    """This process's cgroup folder for a cgroup-v1 ``controller``, or None (no such hierarchy, cgroup v2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and controller in parts[1].split(","):
            for root in (Path("/sys/fs/cgroup") / parts[1], Path("/sys/fs/cgroup") / controller):
                folder = root / parts[2].lstrip("/")
                if (folder / "cgroup.procs").is_file():
                    return folder
    return None


class _CgroupLimit:
    """A control group holding one sandbox, with ``settings`` written into it: at most so many processes, one
    memory budget for all of them, at most one core. It is made under the first of ``parents`` (by default
    this process's own group for ``controller``) that the grader may write; where none is, it does nothing.
    :meth:`close` kills whatever is still in it, then removes it."""

    def __init__(self, controller: str, settings: dict[str, int], parents: tuple[Path, ...] | None = None) -> None:
        self.path: Path | None = None
        candidates = parents if parents is not None else (_own_cgroup(controller),)
        for parent in candidates:
            if parent is None or not (parent / "cgroup.procs").is_file() or not os.access(parent, os.W_OK):
                continue
            path = parent / f"lectures-grading-{secrets.token_hex(6)}"
            try:
                path.mkdir()
                for name, value in settings.items():
                    (path / name).write_text(str(value))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            self.path = path
            return

    def enter(self) -> None:
        """Called in the child before exec: move it (and so everything it starts) into the group."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        for _ in range(50):  # killed processes leave the group a moment later; then the folder can go
            if self.path is None or not self.path.exists():
                return
            with contextlib.suppress(OSError, ValueError):
                for pid in (self.path / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


@dataclass
class Report:
    """What came back from one sandbox: the valid lines, and what went wrong in reading them."""

    lines: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    killed_by_clock: bool = False
    exit_code: int | None = None
    ended: bool = False
    seconds: float = 0.0


_SCHEMA = {
    "started": {},
    "cell": {"index": int, "errors": list, "timed_out": bool},
    "event": {"kind": str, "detail": str},
    "end": {},
}


def valid_line(message: object) -> bool:
    """True when ``message`` is one of the worker's line types with fields of the right types."""
    if not isinstance(message, dict) or message.get("type") not in _SCHEMA:
        return False
    fields = _SCHEMA[message["type"]]
    for name, kind in fields.items():
        value = message.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return False
    if message["type"] == "cell":
        if not all(isinstance(e, str) and len(e) <= 100 for e in message["errors"]):
            return False
        if "stream" in message and not isinstance(message["stream"], str):
            return False
    return message["type"] != "event" or message["kind"] in ("kernel died", "timeout")


def _read_report(stream, report: Report) -> None:
    total = 0
    for raw in iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""):
        total += len(raw)
        if total > MAX_REPORT_BYTES:
            report.problems.append("the sandbox sent more than the grader reads")
            break
        if len(raw) > MAX_LINE_BYTES or not raw.endswith(b"\n"):
            report.problems.append("the sandbox sent a line that is too long or cut")
            continue
        try:
            message = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            report.problems.append("the sandbox sent a line that is not JSON")
            continue
        if not valid_line(message):
            report.problems.append("the sandbox sent a line of the wrong shape")
            continue
        if message["type"] == "end":
            report.ended = True
        report.lines.append(message)
    with contextlib.suppress(OSError):
        stream.close()


def run_in_sandbox(job: dict, *, wall_seconds: float, private: list[Path], sandboxed: bool = True) -> Report:
    """Run the worker on ``job`` (see :mod:`.worker`) and return its validated report.

    ``private`` lists the folders the sandbox must not see (sources, submissions, output). With
    ``sandboxed=False`` the worker runs as a plain child process in a temporary folder (unsafe: only
    for machines without bubblewrap, when the instructor asked for it).
    """
    started = time.monotonic()
    code = Path(worker_module.__file__).read_text()
    # absolute but not resolved: a path through a folder the sandbox hides ("tests/../.venv") would not run there,
    # and resolving the venv's link would leave the venv
    python = [os.path.abspath(sys.executable), "-I", "-c", code]
    scratch = None
    env = None
    if sandboxed:
        command = bwrap_command(python, private)
    else:
        scratch = tempfile.mkdtemp(prefix="lectures-grading-")
        home = Path(scratch) / "home"
        home.mkdir()
        command = python
        env = environment(str(home))
    groups = [] if not sandboxed else [
        _CgroupLimit("pids", {"pids.max": MAX_PROCESSES}, PIDS_CGROUP_ROOTS),  # first: its close kills the rest
        # the kernel's address-space limit binds one process; this binds all the sandbox's processes together
        _CgroupLimit("memory", {"memory.limit_in_bytes": int(job["memory_limit_bytes"]) + WORKER_BYTES}),
        # one core at most, so that a sandbox cannot starve the one grading beside it
        _CgroupLimit("cpu", {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": 100_000}),
    ]

    def in_child() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for group in groups:
            group.enter()

    report = Report()
    process = reader = None
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=in_child, env=env,
                                   cwd=str(Path(scratch) / "home") if scratch else None)
        reader = threading.Thread(target=_read_report, args=(process.stdout, report), daemon=True)
        reader.start()
        with contextlib.suppress(BrokenPipeError, OSError):
            process.stdin.write(json.dumps(job).encode("utf-8"))
            process.stdin.close()
        reader.join(timeout=max(0.0, wall_seconds - (time.monotonic() - started)))
        if reader.is_alive():
            report.killed_by_clock = True
    finally:
        if process is not None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)  # bwrap and its PID namespace, or the unsandboxed worker
            with contextlib.suppress(OSError):
                process.kill()
            process.wait()
            report.exit_code = process.returncode
        if reader is not None:  # the pipe's writers are gone: let the reader reach its end before the report is read
            reader.join(timeout=5)
        for group in groups:
            group.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report

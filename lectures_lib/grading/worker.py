"""Run one rebuilt submission in a fresh kernel, inside the sandbox, and report cell by cell on a pipe.

This file is a standalone program: the grader reads its text and starts it as ``python -I -c <text>``
inside the sandbox, where ``lectures_lib.grading`` is not visible. It uses only the standard library,
nbformat and nbclient, and imports nothing from the grader.

Input (standard input, one JSON object, read once): ``cells``, a list of ``{"role", "source"}`` built
by the grader from the instructor source and the student's answer cells; ``cell_timeout`` in seconds;
``memory_limit_bytes`` for the kernel's address space. The hidden inputs are inside the extraction
cells' code: they exist only in this process's memory and the kernel's, never in a file.

Output (the pipe that was standard output when the worker started): one JSON object per line,

* ``{"type": "started"}`` once the kernel answers;
* ``{"type": "cell", "index": i, "errors": [...], "timed_out": bool, "stream": "..."}`` after each
  cell (``stream`` only for the grader's extraction cells: the last :data:`MAX_STREAM` characters at most);
* ``{"type": "event", "kind": "kernel died" | "timeout", "detail": "..."}``;
* ``{"type": "end"}`` as the last line.

Before the kernel starts, the worker moves its output pipe to a private descriptor that no child
inherits, points descriptors 0-2 at ``/dev/null``, and marks itself non-dumpable, so the student's
kernel can neither write to the pipe nor reach it through ``/proc``. The grader trusts nothing in these
lines beyond their schema, and it kills the whole sandbox at the end, never a process named here.
"""

import contextlib
import ctypes
import json
import os
import resource
import sys
import time

MAX_STREAM = 200_000
TIMEOUT_ENAME = "CellTimeout"


def _private_output() -> int:
    """Move the output pipe off descriptor 1 (to a non-inheritable one) and silence 0, 1 and 2."""
    out = os.dup(1)  # os.dup gives a non-inheritable descriptor
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    with contextlib.suppress(OSError, AttributeError):
        # PR_SET_DUMPABLE = 4: no ptrace, no /proc/<pid>/fd for other processes of this user
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    return out


def _tail(text: str) -> str:
    """The end of a cell's printed text (the grader's read-back line is printed last), small enough that its
    JSON form stays well under the grader's line limit whatever characters it holds."""
    text = text[-MAX_STREAM:]
    while len(json.dumps(text)) > 2 * MAX_STREAM:
        text = text[len(text) // 2:]
    return text


def _send(out: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode("utf-8", "backslashreplace")
    while data:
        written = os.write(out, data)
        data = data[written:]


def run(job: dict, out: int) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    cells = [nbformat.v4.new_code_cell(str(cell["source"])) for cell in job["cells"]]
    extract = [str(cell["role"]).startswith("extract:") for cell in job["cells"]]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    workdir = os.environ.get("HOME", "/tmp")
    cell_timeout = int(job["cell_timeout"])
    client = NotebookClient(
        nb, timeout=cell_timeout, interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"cell ran longer than {cell_timeout} s",
                          "traceback": []},
        allow_errors=True, kernel_name="python3", resources={"metadata": {"path": workdir}}, startup_timeout=60,
    )
    limit = int(job["memory_limit_bytes"])

    def limit_kernel() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        with client.setup_kernel(preexec_fn=limit_kernel, cwd=workdir):
            _send(out, {"type": "started"})
            consecutive_timeouts = 0
            for index, cell in enumerate(cells):
                started = time.monotonic()
                client.execute_cell(cell, index)
                errors = [str(o.get("ename", ""))[:100] for o in cell.outputs if o.get("output_type") == "error"]
                # only the grader interrupts, so an interrupted cell is a timed-out one
                timed_out = (TIMEOUT_ENAME in errors or "KeyboardInterrupt" in errors
                             or time.monotonic() - started >= cell_timeout)
                message = {"type": "cell", "index": index, "errors": errors[:20], "timed_out": timed_out}
                if extract[index]:
                    text = "".join(str(o.get("text", "")) for o in cell.outputs if o.get("output_type") == "stream")
                    message["stream"] = _tail(text)
                cell.outputs = []  # keep the worker small whatever the student printed
                _send(out, message)
                consecutive_timeouts = consecutive_timeouts + 1 if timed_out else 0
                if consecutive_timeouts >= 2:  # the interrupt did not stop it: the kernel is stuck
                    _send(out, {"type": "event", "kind": "timeout", "detail": "the kernel ignored the interrupt"})
                    break
    except DeadKernelError:
        _send(out, {"type": "event", "kind": "kernel died", "detail": "the kernel stopped"})
    except CellTimeoutError:
        _send(out, {"type": "event", "kind": "timeout", "detail": "the kernel stopped answering"})
    except RuntimeError as error:  # the kernel failed to start or to answer
        _send(out, {"type": "event", "kind": "kernel died", "detail": f"the kernel failed: {type(error).__name__}"})
    _send(out, {"type": "end"})


def main() -> int:
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    out = _private_output()
    run(job, out)
    os.close(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

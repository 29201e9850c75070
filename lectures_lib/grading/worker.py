"""Run one submission in a fresh kernel and record the student's answers.

Started by the grader as ``python -m lectures_lib.grading.worker JOB.json`` in a process group of its
own. The job names the instructor source, the student's answer cells and, per question, the code
that reads the answer (see :mod:`.protocol`). The worker rebuilds the notebook from the source
(leaving out every check cell), runs it cell by cell in a new kernel started in an empty folder
with a memory limit, and after each answer cell runs that question's extraction. It rewrites the
result file after every step, so whatever happens later (a hang, a dead kernel, the grader killing
the whole group) the answers read so far are kept.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .protocol import extraction_code, parse_record
from .release import HIDDEN_TAG, SOLUTION_TAG, TEST_TAG
from .submission import question_of

TIMEOUT_ENAME = "CellTimeout"


def _write(path: Path, result: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, path)


def build_cells(source: nbformat.NotebookNode, answers: dict[str, str], job: dict) -> list[tuple[str, Any]]:
    """The cells to run: (role, cell). Roles: 'given', 'answer:<qid>', 'extract:<qid>'."""
    plan = []
    for cell in source.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or TEST_TAG in tags or HIDDEN_TAG in tags:
            continue
        if SOLUTION_TAG in tags:
            qid = question_of(cell.id)
            plan.append((f"answer:{qid}", nbformat.v4.new_code_cell(answers.get(qid, ""))))
            extraction = job["questions"].get(qid)
            if extraction is not None:
                code = extraction_code(job["nonce"], extraction["kind"], extraction["name"], extraction["cases"])
                plan.append((f"extract:{qid}", nbformat.v4.new_code_cell(code)))
        else:
            plan.append(("given", nbformat.v4.new_code_cell(cell.source)))
    return plan


def _limit_memory(limit_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def _stream_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def _errors(cell: nbformat.NotebookNode) -> list[str]:
    return [o.get("ename", "") for o in cell.outputs if o.get("output_type") == "error"]


def run(job: dict, result_path: Path) -> None:
    started = time.monotonic()
    result: dict[str, Any] = {"events": [], "records": {}, "finished": False, "kernel_pid": None}
    _write(result_path, result)
    source = nbformat.read(job["source"], as_version=4)
    plan = build_cells(source, job["answers"], job)
    nb = nbformat.v4.new_notebook(cells=[cell for _, cell in plan])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    workdir = tempfile.mkdtemp(prefix="grading-")
    client = NotebookClient(
        nb,
        timeout=job["cell_timeout"],
        interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"cell ran longer than {job['cell_timeout']} s",
                          "traceback": []},
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": workdir}},
        startup_timeout=60,
    )
    limit = int(job["memory_limit_bytes"])
    try:
        with client.setup_kernel(preexec_fn=lambda: _limit_memory(limit), cwd=workdir):
            result["kernel_pid"] = getattr(client.km.provisioner, "pid", None) if client.km else None
            _write(result_path, result)
            consecutive_timeouts = 0
            for index, (role, cell) in enumerate(plan):
                cell_started = time.monotonic()
                client.execute_cell(cell, index)
                errors = _errors(cell)
                # the grader is the only one who interrupts, so an interrupted cell is a timed-out one
                timed_out = TIMEOUT_ENAME in errors or "KeyboardInterrupt" in errors \
                    or time.monotonic() - cell_started >= job["cell_timeout"]
                if timed_out:
                    errors.append(TIMEOUT_ENAME)
                    result["events"].append({"kind": "timeout", "cell": role})
                elif "MemoryError" in errors:
                    result["events"].append({"kind": "memory", "cell": role})
                if role.startswith("extract:"):
                    qid = role.split(":", 1)[1]
                    record = parse_record(_stream_text(cell), job["nonce"])
                    if record is None and TIMEOUT_ENAME in errors:
                        record = {"timeout": True}
                    elif record is None and "MemoryError" in errors:
                        record = {"memory": True}
                    elif record is None:
                        result["events"].append({"kind": "integrity", "cell": role,
                                                 "detail": "the answer could not be read back from the kernel"})
                    if record is not None:
                        result["records"][qid] = record
                cell.outputs = []  # keep the worker small whatever the student printed
                _write(result_path, result)
                consecutive_timeouts = consecutive_timeouts + 1 if timed_out else 0
                if consecutive_timeouts >= 2:  # the interrupt did not stop it: the kernel is stuck
                    result["events"].append({"kind": "timeout", "cell": "kernel",
                                             "detail": "the kernel ignored the interrupt"})
                    break
    except DeadKernelError:
        result["events"].append({"kind": "kernel died"})
    except CellTimeoutError:
        result["events"].append({"kind": "timeout", "cell": "kernel"})
    except RuntimeError as error:  # the kernel failed to start or to answer
        result["events"].append({"kind": "kernel died", "detail": str(error)[:200]})
    result["finished"] = True
    result["seconds"] = time.monotonic() - started
    _write(result_path, result)


def main() -> int:
    job_path = Path(sys.argv[1])
    job = json.loads(job_path.read_text())
    run(job, Path(job["result"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

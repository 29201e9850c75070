"""Helpers used by both the tests and the benchmarks, kept out of the library they check.

Tests import this module as ``support`` (pytest puts ``tests/`` on the path); benchmarks do
``sys.path.insert(0, str(ROOT / "tests")); import support``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import numpy as np
import yaml
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]


# -- the table of contents --------------------------------------------------------------------------
def toc_files() -> list[str]:
    """Every file ``_toc.yml`` lists (root first), as written there: a path without its suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    return files


def toc_chapters() -> list[Path]:
    """The chapter notebooks, in the order of ``_toc.yml``: entries under notebooks/ but not notebooks/exercises/."""
    return [ROOT / f"{entry}.ipynb" for entry in toc_files()
            if entry.startswith("notebooks/") and not entry.startswith("notebooks/exercises/")]


# -- explorers --------------------------------------------------------------------------------------
def frame_images(widget) -> list[str]:
    """The ``<img>`` markup of every frame inside a static explorer (empty for a live one).

    Walks the widget tree and returns the value of every ``HTML`` widget that holds a frame
    (its value contains ``data-frame=``).
    """
    found, pending = [], [widget]
    while pending:
        current = pending.pop()
        if type(current).__name__ == "HTML" and "data-frame=" in current.value:
            found.append(current.value)
        pending.extend(getattr(current, "children", ()))
    return found


# -- the inference-aware optimum, by brute force ----------------------------------------------------
TRAINING_FLOPS_PER_PARAM_TOKEN = 6.0
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0


def lifetime_optimal_search(law, target_loss: float, inference_tokens: float) -> float:
    """The model size that reaches ``target_loss`` at the lowest lifetime cost 6 N D + 2 N D_inf, by search.

    ``law`` is any object with the attributes E, A, B, alpha, beta of L(N, D) = E + A/N**alpha + B/D**beta
    (a ``ChinchillaLaw``). Writes D as a function of N along the curve of constant loss and minimises the
    log of the lifetime FLOPs over log N with SciPy's bounded scalar search. Scalar arguments only; slow by
    design: it checks the library's closed form, so it uses none of the library's code.
    """
    target_loss, inference_tokens = float(target_loss), float(inference_tokens)
    if not np.isfinite(target_loss) or target_loss <= law.E:
        raise ValueError(f"target_loss must be above the irreducible loss E = {law.E:g}, got {target_loss:g}")
    if not np.isfinite(inference_tokens) or inference_tokens < 0:
        raise ValueError(f"inference_tokens must be finite and non-negative, got {inference_tokens:g}")
    reducible = target_loss - law.E
    smallest = np.log((law.A / reducible) ** (1.0 / law.alpha))  # below this size no data reaches the target

    def log_cost(log_n: float) -> float:
        n = np.exp(log_n)
        d = (law.B / (reducible - law.A * n ** (-law.alpha))) ** (1.0 / law.beta)
        flops = TRAINING_FLOPS_PER_PARAM_TOKEN * n * d + INFERENCE_FLOPS_PER_PARAM_TOKEN * n * inference_tokens
        return float(np.log(flops))

    result = optimize.minimize_scalar(log_cost, bounds=(smallest + 1e-12, smallest + 12.0), method="bounded",
                                      options={"xatol": 1e-13, "maxiter": 10000})
    return float(np.exp(result.x))


# -- grading tests ----------------------------------------------------------------------------------------
#: Answers of exercise 00 that earn every automatic point in any variant (Q8, an explanation, is graded by
#: hand: it scores 0, "needs manual grading"), and answers that earn none (one per question).
EX00_CORRECT = {
    "q1": "def training_flops(n_params, n_tokens):\n    return 6 * n_params * n_tokens",
    "q2": "def transformer_params(n_layers, d_model):\n    return 12 * n_layers * d_model ** 2",
    "q3": "compute_factor = (1 / (1 - ex.q3.loss_cut)) ** (1 / ex.q3.exponent)",
    "q4": "slope, intercept = np.polyfit(np.log(flops), np.log(loss), 1)\nfitted_exponent = -slope",
    "q5": "predicted_loss = np.exp(intercept) * ex.q5.predict_at_flops ** (-fitted_exponent)",
    "q6": "def compute_for_loss(target_loss, coefficient, exponent):\n"
          "    return (coefficient / target_loss) ** (1 / exponent)",
    "q7": "slope = np.log(q7.small_loss / q7.big_loss) / np.log(q7.big_flops / q7.small_flops)\n"
          "exponent_choice = 'ABCD'[int(np.argmin(np.abs(np.array(q7.options) - slope)))]",
    "q8": "extrapolation_risks = 'The law has no floor, and the slope error grows with the distance.'",
}
EX00_WRONG = {
    "q1": "def training_flops(n_params, n_tokens):\n    return 2 * n_params * n_tokens",
    "q2": "def transformer_params(n_layers, d_model):\n    return n_layers * d_model ** 2",
    "q3": "compute_factor = 20",
    "q4": "slope, intercept = np.polyfit(flops, loss, 1)\nfitted_exponent = slope",
    "q5": "predicted_loss = 1.0",
    "q6": "def compute_for_loss(target_loss, coefficient, exponent):\n"
          "    return (target_loss / coefficient) ** exponent",
    "q7": "slope = np.log(q7.small_loss / q7.big_loss) / np.log(q7.big_flops / q7.small_flops)\n"
          "exponent_choice = 'ABCD'[int(np.argmax(np.abs(np.array(q7.options) - slope)))]",
    "q8": "extrapolation_risks = ''",
}
#: Points of exercise 00 per question, in order, for EX00_CORRECT (Q8 is graded by hand).
EX00_POINTS = [2, 2, 2, 3, 2, 3, 2, 0]


def live_processes(marked) -> dict[int, str]:
    """pid -> command line of every live process (not this one, not a zombie) for which ``marked(entry)`` is
    true, ``entry`` being its ``/proc/<pid>`` folder; processes that vanish or cannot be read are skipped."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and marked(entry):  # a zombie has exited and only waits to be reaped
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace").strip()
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
    return found


@contextlib.contextmanager
def marked_and_sampled(variable: str, value: str, sample, period: float = 0.5):
    """Set the environment ``variable`` to ``value`` (the sandbox passes LECTURES_LIB_GRADING_TAG on, so every
    process a grading starts carries it) and call ``sample()`` every ``period`` seconds until the block ends."""
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            sample()
            stop.wait(period)

    sampler = threading.Thread(target=loop, daemon=True)
    previous = os.environ.get(variable)
    os.environ[variable] = value
    sampler.start()
    try:
        yield
    finally:
        stop.set()
        sampler.join()
        if previous is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = previous

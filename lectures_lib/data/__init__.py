"""Released training runs, shipped as compact tables with their licence.

:func:`load_gadre_2024` reads the 104 models of Gadre et al. 2024, "Language models scale reliably with
over-training and on downstream tasks" (arXiv 2403.08540): open_lm decoder-only Transformers of six sizes
(10.6M to 6.9B parameters) trained on C4, RedPajama or RefinedWeb at 0.25 to 32 times the Chinchilla token
count. The table ``gadre2024_runs.csv`` was derived from the repository mlfoundations/scaling (commit a003c49,
MIT licence, ``LICENSE-gadre2024.txt`` beside it) by :mod:`.derive_gadre_2024`.

Conventions: ``multiplier`` is the files' ``chinchilla_multiplier``, tokens / (20 N). The paper's own token
multiplier, M = D / N, is 20 times it (5 to 640).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources

import numpy as np

from .. import compute

__all__ = ["DATASETS", "EVAL_SETS", "GADRE_2024_SUBSET", "TrainingRuns", "downstream_accuracy", "load_gadre_2024",
           "task_baselines"]

#: The evaluation sets of the final losses.
EVAL_SETS = ("openlm", "c4_val", "paloma_c4_en", "paloma_dolma_100_programing_languages", "paloma_falcon_refinedweb",
             "paloma_ptb", "paloma_redpajama", "de_en")
#: The training datasets, as the files name them: C4, RedPajama, RefinedWeb.
DATASETS = ("c4_original", "rpj", "rw_original")
#: The 17 downstream tasks whose average top-1 error the paper models (Sec. 3.4: tasks on which at least one
#: 0.154B model is 10 points above chance).
GADRE_2024_SUBSET = ("arc_easy", "bigbench_cs_algorithms", "bigbench_dyck_languages", "bigbench_novel_concepts",
                     "bigbench_operators", "bigbench_qa_wikidata", "boolq", "commonsense_qa", "copa", "coqa",
                     "hellaswag_zeroshot", "hellaswag", "lambada_openai", "piqa", "pubmed_qa_labeled", "squad",
                     "winograd")


@dataclass(frozen=True, eq=False)
class TrainingRuns:
    """Training runs as equal-length, read-only arrays (one entry per model)."""

    eval_set: str
    name: np.ndarray
    dataset: np.ndarray
    n_params: np.ndarray
    n_params_no_embed: np.ndarray
    n_tokens: np.ndarray
    multiplier: np.ndarray
    loss: np.ndarray
    downstream_error: np.ndarray

    def __len__(self) -> int:
        return len(self.name)

    @property
    def tokens_per_param(self) -> np.ndarray:
        """D / N, the paper's M."""
        return compute.tokens_per_param(self.n_params, self.n_tokens)

    @property
    def training_flops(self) -> np.ndarray:
        """6 N D, in FLOPs."""
        return compute.training_flops(self.n_params, self.n_tokens)

    def where(self, mask: np.ndarray | None = None, *, dataset: str | None = None) -> TrainingRuns:
        """The runs selected by a boolean ``mask`` and/or of one ``dataset`` (one of :data:`DATASETS`)."""
        keep = np.ones(len(self), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if keep.shape != (len(self),):
            raise ValueError(f"mask must be a boolean array of length {len(self)}, got shape {keep.shape}")
        if dataset is not None:
            if dataset not in DATASETS:
                raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
            keep = keep & (self.dataset == dataset)
        return _frozen(self.eval_set, {f.name: getattr(self, f.name)[keep] for f in fields(self)
                                       if f.name != "eval_set"})


def _frozen(eval_set: str, columns: dict[str, np.ndarray]) -> TrainingRuns:
    for array in columns.values():
        array.setflags(write=False)
    return TrainingRuns(eval_set=eval_set, **columns)


@lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, str], ...]:
    text = resources.files(__package__).joinpath("gadre2024_runs.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def load_gadre_2024(eval_set: str = "c4_val") -> TrainingRuns:
    """The 104 runs of Gadre et al. 2024 with their final loss on ``eval_set`` (one of :data:`EVAL_SETS`) and
    their average top-1 error over the paper's 17 downstream tasks (:data:`GADRE_2024_SUBSET`)."""
    if eval_set not in EVAL_SETS:
        raise ValueError(f"eval_set must be one of {', '.join(EVAL_SETS)}; got {eval_set!r}")
    rows = _rows()

    def column(name: str, kind: type = float) -> np.ndarray:
        return np.array([kind(row[name]) for row in rows])

    error = 1.0 - np.mean([column(f"accuracy_{task}") for task in GADRE_2024_SUBSET], axis=0)
    return _frozen(eval_set, {
        "name": column("name", str), "dataset": column("dataset", str),
        "n_params": column("n_params"), "n_params_no_embed": column("n_params_no_embed"),
        "n_tokens": column("n_tokens"), "multiplier": column("chinchilla_multiplier"),
        "loss": column(f"loss_{eval_set}"), "downstream_error": error,
    })


def downstream_accuracy(task: str) -> np.ndarray:
    """Accuracy (0 to 1) of every run, in the order of :func:`load_gadre_2024`, on one downstream task."""
    baselines = task_baselines()
    if task not in baselines:
        raise ValueError(f"task must be one of the {len(baselines)} downstream tasks, e.g. {sorted(baselines)[:3]}; "
                         f"got {task!r}")
    accuracy = np.array([float(row[f"accuracy_{task}"]) for row in _rows()])
    accuracy.setflags(write=False)
    return accuracy


@lru_cache(maxsize=1)
def task_baselines() -> dict[str, tuple[str, int, float]]:
    """Per downstream task: its category, its number of shots, and its random-guess accuracy (0 to 1)."""
    text = resources.files(__package__).joinpath("gadre2024_tasks.csv").read_text(encoding="utf-8")
    return {row["task"]: (row["category"], int(row["shots"]), float(row["random_baseline_percent"]) / 100)
            for row in csv.DictReader(text.splitlines())}

"""Derive the shipped table of Gadre et al. 2024's training runs from the released files.

    python -m lectures_lib.data.derive_gadre_2024 PATH/TO/exp_data [--out lectures_lib/data]

``PATH/TO/exp_data`` is a copy of the ``exp_data/`` folder of the repository mlfoundations/scaling (commit
a003c49, MIT licence; see ``LICENSE-gadre2024.txt``). Two files are written:

* ``gadre2024_runs.csv``: one row per trained model (104): its name, dataset, parameters with and without
  embeddings, training tokens, the files' ``chinchilla_multiplier`` (tokens / 20 N), the final loss on each of
  the 8 evaluation sets, and the accuracy on each of the 46 downstream tasks;
* ``gadre2024_tasks.csv``: each downstream task's category, number of shots and random-guess baseline (in
  percent), from ``eval_metadata.csv``.

Nothing else is read or kept; the numbers are written as the files hold them (``repr`` of the floats).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

#: The evaluation sets, as the loader names them, and the file name each result's ``val_data`` contains.
EVAL_SETS = {
    "openlm": "val_tok_mult/openlm/", "c4_val": "c4_val/", "paloma_c4_en": "paloma_c4_en/",
    "paloma_dolma_100_programing_languages": "paloma_dolma_100_programing_languages/",
    "paloma_falcon_refinedweb": "paloma_falcon-refinedweb/", "paloma_ptb": "paloma_ptb/",
    "paloma_redpajama": "paloma_redpajama/", "de_en": "de-en/",
}
RUN_COLUMNS = ["name", "dataset", "n_params", "n_params_no_embed", "n_tokens", "chinchilla_multiplier"]


def _losses(results: list[dict]) -> dict[str, float]:
    losses = {}
    for result in results:
        where = " ".join(result["val_data"])
        matches = [name for name, part in EVAL_SETS.items() if part in where]
        if len(matches) != 1:
            raise ValueError(f"cannot tell the evaluation set of {where!r}")
        losses[matches[0]] = float(result["loss"])
    if set(losses) != set(EVAL_SETS):
        raise ValueError(f"expected losses on {sorted(EVAL_SETS)}, got {sorted(losses)}")
    return losses


def derive(exp_data: Path) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of the runs table and of the tasks table (each with its header first)."""
    models = sorted((exp_data / "models").glob("*.json"))
    if not models:
        raise ValueError(f"no models/*.json in {exp_data}")
    runs, tasks = [], None
    for path in models:
        model = json.loads(path.read_text())
        hyper = model["hyperparameters"]
        evals = json.loads((exp_data / "evals" / f"evaluation_{path.stem}_heavy.json").read_text())
        accuracy = evals["eval_metrics"]["icl"]
        tasks = tasks or sorted(accuracy)
        if sorted(accuracy) != tasks:
            raise ValueError(f"{path.stem}: another set of downstream tasks")
        losses = _losses(model["results"])
        runs.append([model["name"], model["dataset_name"], str(hyper["params"]), str(hyper["params_no_embed"]),
                     str(hyper["tokens"]), repr(float(hyper["chinchilla_multiplier"]))]
                    + [repr(losses[name]) for name in EVAL_SETS] + [repr(float(accuracy[t])) for t in tasks])
    header = RUN_COLUMNS + [f"loss_{name}" for name in EVAL_SETS] + [f"accuracy_{task}" for task in tasks]
    with (exp_data / "eval_metadata.csv").open(newline="") as handle:
        metadata = {row["Eval Task"]: row for row in csv.DictReader(handle)}
    task_rows = [["task", "category", "shots", "random_baseline_percent"]]
    for task in tasks:
        row = metadata[task]
        task_rows.append([task, row["Task Category"], row["#shots"], row["Random baseline"]])
    return [header, *runs], task_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exp_data", type=Path, help="a copy of mlfoundations/scaling's exp_data/ folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="folder for the two CSV files")
    args = parser.parse_args(argv)
    runs, tasks = derive(args.exp_data)
    for name, rows in (("gadre2024_runs.csv", runs), ("gadre2024_tasks.csv", tasks)):
        with (args.out / name).open("w", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        print(f"wrote {args.out / name}: {len(rows) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

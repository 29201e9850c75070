"""The shipped table of Gadre et al. 2024's runs, against facts read by hand from the released JSON files
(mlfoundations/scaling @ a003c49, exp_data/models/*.json), and the loader's argument checks."""

import numpy as np
import pytest

from lectures_lib.data import (
    DATASETS,
    EVAL_SETS,
    GADRE_2024_SUBSET,
    downstream_accuracy,
    load_gadre_2024,
    task_baselines,
)


def test_the_runs_as_released():
    runs = load_gadre_2024()
    assert len(runs) == 104
    # six sizes, from exp_data/models/*.json hyperparameters.params
    assert sorted(set(runs.n_params)) == [10_569_312, 78_914_048, 153_677_376, 411_616_256, 1_439_795_200,
                                          6_889_410_560]
    assert sorted(set(runs.multiplier)) == [0.25, 0.5, 1, 2, 4, 8, 16, 32]
    # 35 runs on each dataset but C4, which lacks one (its 0.411B model at 32x): 34 + 35 + 35
    assert [int(np.sum(runs.dataset == d)) for d in DATASETS] == [34, 35, 35]
    # the multiplier is tokens / (20 N), as the files compute it
    assert np.allclose(runs.multiplier, runs.n_tokens / (20 * runs.n_params), rtol=0.01)


@pytest.mark.parametrize(("name", "params", "no_embed", "tokens", "c4_loss"), [
    ("rpj-open_lm_1b-32.0", 1_439_795_200, 1_336_510_464, 921_468_928_000, 2.502053562117363),
    ("c4_original-d=96_l=8_h=4-0.25", 10_569_312, 5_727_840, 52_846_560, 5.974923739894816),
    ("rw_original-open_lm_7b-1.0", 6_889_410_560, 6_682_841_088, 137_788_211_200, 2.454721561962622),
])
def test_single_runs_as_released(name, params, no_embed, tokens, c4_loss):
    runs = load_gadre_2024("c4_val")
    (index,) = np.flatnonzero(runs.name == name)
    assert (runs.n_params[index], runs.n_params_no_embed[index], runs.n_tokens[index]) == (params, no_embed, tokens)
    assert runs.loss[index] == c4_loss


def test_the_downstream_error_is_the_papers_average():
    # Gadre et al. 2024, Sec. 3.4: the uniform mean of top-1 error over 17 tasks; the 1.4B RedPajama model at
    # M = 640 has 0.4752 (the paper's Sec. 4 extrapolation target)
    assert len(GADRE_2024_SUBSET) == 17 and set(GADRE_2024_SUBSET) <= set(task_baselines())
    runs = load_gadre_2024()
    (index,) = np.flatnonzero(runs.name == "rpj-open_lm_1b-32.0")
    assert runs.downstream_error[index] == pytest.approx(0.4752, abs=5e-5)
    by_hand = 1 - np.mean([downstream_accuracy(task)[index] for task in GADRE_2024_SUBSET])
    assert runs.downstream_error[index] == pytest.approx(by_hand, rel=1e-12)
    assert task_baselines()["copa"] == ("commonsense reasoning", 0, 0.5)  # eval_metadata.csv


def test_selections_and_read_only_arrays():
    runs = load_gadre_2024("paloma_ptb")
    rpj = runs.where(dataset="rpj")
    assert len(rpj) == 35 and set(rpj.dataset) == {"rpj"} and rpj.eval_set == "paloma_ptb"
    assert np.all(rpj.where(rpj.multiplier == 1).multiplier == 1)
    with pytest.raises(ValueError):
        runs.loss[0] = 0.0
    assert np.allclose(runs.tokens_per_param, runs.n_tokens / runs.n_params)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: load_gadre_2024("wikitext"), "eval_set must be one of openlm, c4_val"),
    (lambda: load_gadre_2024().where(dataset="pile"), "dataset must be one of"),
    (lambda: load_gadre_2024().where(np.ones(3, dtype=bool)), "mask must be a boolean array of length 104"),
    (lambda: downstream_accuracy("chess"), "task must be one of the 46 downstream tasks"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_every_eval_set_loads():
    for eval_set in EVAL_SETS:
        loss = load_gadre_2024(eval_set).loss
        assert loss.shape == (104,) and np.all((loss > 0.5) & (loss < 10))

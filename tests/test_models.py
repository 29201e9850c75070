"""The published models table against ../shared/REFERENCE.md."""

import pytest

from lectures_lib.models import PUBLISHED_MODELS, get_model


@pytest.mark.parametrize(
    "name, n_params, n_tokens",
    [
        ("GPT-3", 175e9, 300e9),
        ("Gopher", 280e9, 300e9),
        ("Chinchilla", 70e9, 1.4e12),
        ("LLaMA-7B", 7e9, 1.0e12),
        ("LLaMA-65B", 65e9, 1.4e12),
        ("Llama 2 7B", 7e9, 2.0e12),
        ("Llama 3 8B", 8e9, 15e12),
    ],
)
def test_sizes_and_tokens(name, n_params, n_tokens):
    model = get_model(name)
    assert (model.n_params, model.n_tokens) == (n_params, n_tokens)


def test_ratios_quoted_in_the_lecture():
    assert get_model("GPT-3").tokens_per_param == pytest.approx(1.71, abs=0.01)
    assert get_model("Chinchilla").tokens_per_param == pytest.approx(20.0)
    assert get_model("Llama 2 7B").tokens_per_param == pytest.approx(285.7, abs=0.1)
    assert get_model("Llama 3 8B").tokens_per_param == pytest.approx(1875)


def test_every_row_is_cited_and_tagged():
    import re
    from pathlib import Path

    keys = set(re.findall(r"@\w+\{(\w+),", (Path(__file__).parents[1] / "book" / "references.bib").read_text()))
    for model in PUBLISHED_MODELS:
        assert model.citation in keys, model
        assert model.status in {"V-P", "V-A", "V-S"}, model


def test_unknown_model_lists_the_names():
    with pytest.raises(KeyError, match="GPT-3"):
        get_model("GPT-5")
    with pytest.raises(TypeError):
        get_model(3)

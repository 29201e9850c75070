"""The published models table against the papers that report each model.

Hoffmann et al. 2022, arXiv 2203.15556, Table 1 (GPT-3, Gopher, Chinchilla) and Table 6 (MMLU);
Touvron et al. 2023, arXiv 2302.13971, Table 2 (LLaMA); Touvron et al. 2023, arXiv 2307.09288 (Llama 2:
2T tokens); Dubey et al. 2024, arXiv 2407.21783 (Llama 3: about 15T tokens); Brown et al. 2020,
arXiv 2005.14165, Table D.1 (GPT-3 training compute); Gadre et al. 2024, arXiv 2403.08540, Table 8 (tokens per
parameter of GPT-3 and Llama 2 7B).
"""

import re

import pytest

from lectures_lib.models import MMLU_5_SHOT, PUBLISHED_MODELS, get_model


@pytest.mark.parametrize(
    "name, n_params, n_tokens",
    [
        ("GPT-3", 175e9, 300e9),  # Hoffmann et al. 2022, Table 1
        ("Gopher", 280e9, 300e9),
        ("Chinchilla", 70e9, 1.4e12),
        ("LLaMA-7B", 7e9, 1.0e12),  # Touvron et al. 2023 (LLaMA), Table 2
        ("LLaMA-13B", 13e9, 1.0e12),
        ("LLaMA-33B", 33e9, 1.4e12),
        ("LLaMA-65B", 65e9, 1.4e12),
        ("Llama 2 7B", 7e9, 2.0e12),  # Touvron et al. 2023 (Llama 2): 2T tokens for every size
        ("Llama 2 13B", 13e9, 2.0e12),
        ("Llama 2 70B", 70e9, 2.0e12),
        ("Llama 3 8B", 8e9, 15e12),  # Dubey et al. 2024: about 15T tokens
        ("Llama 3 70B", 70e9, 15e12),
    ],
)
def test_sizes_and_tokens(name, n_params, n_tokens):
    model = get_model(name)
    assert (model.n_params, model.n_tokens) == (n_params, n_tokens)


def test_tokens_per_param_against_gadre_table_8():  # Gadre et al. 2024, Table 8: M = D / N of 1.7 and 290
    assert float(f"{get_model('GPT-3').tokens_per_param:.2g}") == 1.7
    assert float(f"{get_model('Llama 2 7B').tokens_per_param:.2g}") == 290


def test_chinchilla_is_4x_smaller_on_4x_more_data():
    # Hoffmann et al. 2022, abstract: Chinchilla has Gopher's budget "with 70B parameters and 4x more more data"
    chinchilla, gopher = get_model("Chinchilla"), get_model("Gopher")
    assert gopher.n_params / chinchilla.n_params == 4
    assert 4 <= chinchilla.n_tokens / gopher.n_tokens < 5  # 1.4T / 300B = 4.7
    assert chinchilla.tokens_per_param > 10 * gopher.tokens_per_param


def test_gpt3_training_compute():  # Brown et al. 2020, Table D.1: 3.14e23 FLOPs; 6ND gives 3.15e23
    assert get_model("GPT-3").training_flops == pytest.approx(3.14e23, rel=5e-3)


def test_mmlu():  # Hoffmann et al. 2022, Table 6: 5-shot MMLU in percent
    assert MMLU_5_SHOT == {"Chinchilla": 67.6, "Gopher": 60.0, "GPT-3": 43.9}


def test_every_row_is_cited_and_tagged(root):
    keys = set(re.findall(r"@\w+\{(\w+),", (root / "book" / "references.bib").read_text()))
    for model in PUBLISHED_MODELS:
        assert model.citation in keys, model
        assert model.status in {"V-P", "V-A", "V-S"}, model
        assert model.where, model


def test_unknown_model_lists_the_names():
    with pytest.raises(KeyError, match="GPT-3"):
        get_model("GPT-5")
    with pytest.raises(TypeError):
        get_model(3)
    assert get_model("gpt-3") is get_model("GPT-3")


def test_llama_3_architectures():  # Dubey et al. 2024, arXiv 2407.21783, Table 3
    from lectures_lib.models import ARCHITECTURES

    small, large = ARCHITECTURES["Llama 3 8B"], ARCHITECTURES["Llama 3 70B"]
    assert (small.n_layers, small.d_model, small.n_heads, small.n_kv_heads, small.head_dim) == (32, 4096, 32, 8, 128)
    assert (large.n_layers, large.d_model, large.n_heads, large.n_kv_heads, large.head_dim) == (80, 8192, 64, 8, 128)
    assert small.n_heads * small.head_dim == small.d_model and large.n_heads * large.head_dim == large.d_model
    # bf16 KV cache per token: 128 KiB and 320 KiB (derived, REFERENCE 12c)
    assert small.kv_cache_bytes_per_token() == 128 * 1024 and large.kv_cache_bytes_per_token() == 320 * 1024
    assert small.kv_cache_bytes_per_token(bytes_per_value=1) == 64 * 1024


def test_llama_3_training_mfu():  # Dubey et al. 2024, Table 4: BF16 MFU of 38% to 43%
    from lectures_lib.models import LLAMA3_405B_TRAINING_MFU

    assert LLAMA3_405B_TRAINING_MFU == (0.38, 0.43)

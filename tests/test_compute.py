"""lectures_lib.compute against Kaplan et al. 2020 and Hoffmann et al. 2022 (../shared/REFERENCE.md)."""

import numpy as np
import pytest

from lectures_lib import compute


def test_pf_day_is_8_64e19_flops():  # Kaplan et al. 2020, Sec. 1.3 [V-P]
    assert compute.PF_DAY_FLOPS == pytest.approx(8.64e19, rel=1e-12)


def test_training_flops_is_6nd():
    assert compute.training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)  # GPT-3 [D]
    assert compute.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)  # Chinchilla 6ND [D]
    assert compute.training_flops(280e9, 300e9) == pytest.approx(5.04e23, rel=1e-12)  # Gopher 6ND [D]


def test_gpt3_pf_days():  # 3.14e23 FLOPs = 3.64e3 PF-days in Brown et al. Table D.1; 6ND gives 3,646 [D]
    assert compute.flops_to_pf_days(compute.training_flops(175e9, 300e9)) == pytest.approx(3645.83, rel=1e-5)
    assert compute.pf_days_to_flops(1.0) == pytest.approx(8.64e19)


def test_training_flops_broadcasts():
    out = compute.training_flops(np.array([1e9, 2e9]), 1e10)
    np.testing.assert_allclose(out, [6e19, 1.2e20])


def test_chinchilla_table3_rows_are_20_tokens_per_param():  # Hoffmann et al. 2022, Table 3 [V-P]
    # 1B parameters with 20.2B tokens costs 1.21e20 FLOPs; 10B with 205.1B costs 1.23e22
    assert compute.training_flops(1e9, 20.2e9) == pytest.approx(1.21e20, rel=0.01)
    assert compute.training_flops(10e9, 205.1e9) == pytest.approx(1.23e22, rel=0.01)
    n, d = compute.allocation_for_ratio(1.21e20, 20.2)
    assert n == pytest.approx(1e9, rel=0.01) and d == pytest.approx(20.2e9, rel=0.01)


def test_inference_flops_is_2n_per_token():
    assert compute.inference_flops(7e9, 1) == 1.4e10
    assert compute.inference_flops(7e9, 0) == 0.0


def test_transformer_params_is_12_l_d2():  # Kaplan et al. 2020, Eq. 2.1
    assert compute.transformer_params(96, 12288) == 12 * 96 * 12288**2
    assert compute.transformer_params(12, 768) == 84_934_656
    # with explicit widths: 2 d_model n_layer (2 d_attn + d_ff)
    assert compute.transformer_params(2, 10, d_ff=30, d_attn=5) == 2 * 10 * 2 * (2 * 5 + 30)


def test_forward_flops_per_token():  # Kaplan et al. 2020, Eq. 2.2
    assert compute.forward_flops_per_token(1e9, 24, 1024, 2048) == 2e9 + 2 * 24 * 1024 * 2048


def test_dense_layer_is_15_params():  # the lecture notes' 4-in, 3-out example
    assert compute.dense_layer_params(4, 3) == 15
    assert compute.dense_layer_params(4, 3, bias=False) == 12


def test_embedding_params():
    assert compute.embedding_params(50257, 768, 1024) == (50257 + 1024) * 768


def test_tokens_per_param():
    assert compute.tokens_per_param(175e9, 300e9) == pytest.approx(1.714, rel=1e-3)
    assert compute.tokens_per_param(8e9, 15e12) == pytest.approx(1875)  # Llama 3 8B [D]

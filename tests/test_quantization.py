"""Quantization: round-trip bounds, exact storage, published constructions and constants, bad input."""

import math

import numpy as np
import pytest

from lectures_lib import quantization as qz
from lectures_lib import tiny_lm

RNG = np.random.default_rng(20240611)


def _cases():
    for bits in (2, 3, 4, 5, 7, 8, 11, 16):
        for scheme in ("absmax", "zero_point", "nf4"):
            if scheme == "nf4" and bits != 4:
                continue
            for block in (None, 1, 5, 13, 64):
                yield bits, scheme, block


@pytest.mark.parametrize(("bits", "scheme", "block"), list(_cases()))
def test_round_trip_error_is_at_most_half_a_step(bits, scheme, block):
    x = RNG.standard_normal((6, 13)) * np.linspace(0.1, 5, 13)
    q = qz.quantize(x, bits, scheme, block)
    error = np.abs(qz.dequantize(q) - x)
    assert error.shape == x.shape
    assert np.all(error <= q.step() / 2 * (1 + 1e-6))


@pytest.mark.parametrize("bits", [2, 3, 4, 8, 12, 16])
def test_values_on_the_grid_come_back_exactly(bits):
    half = 2 ** (bits - 1) - 1
    step = 0.125  # a power of two: every grid value and every division is exact
    codes = RNG.integers(-half, half + 1, size=(3, 40))
    codes[:, 0], codes[:, 1] = half, -half  # each row reaches both ends, so the absmax is on the grid
    x = codes * step
    assert np.array_equal(qz.round_trip(x, bits, "absmax", 40), x)
    assert np.array_equal(qz.round_trip(x, bits, "absmax"), x)
    levels = 2**bits - 1
    unsigned = RNG.integers(0, levels + 1, size=(3, 40))
    zero = 3 if bits > 2 else 1
    unsigned[:, 0], unsigned[:, 1], unsigned[:, 2] = 0, levels, zero
    y = (unsigned - zero) * step
    assert np.array_equal(qz.round_trip(y, bits, "zero_point", 40), y)


def test_nf4_grid_values_and_zero_are_exact():
    levels = qz.nf4_levels()
    x = np.tile(levels, (4, 1)) * np.array([[1.0], [2.0], [0.5], [4.0]])
    np.testing.assert_allclose(qz.round_trip(x, 4, "nf4", 16), x, rtol=1e-6, atol=0)
    assert levels[7] == 0.0 and qz.round_trip(np.zeros(8), 4, "nf4")[0] == 0.0


def test_nf4_levels_match_the_published_table():
    # QLoRA (Dettmers et al. 2023, arXiv 2305.14314), App. E: the NF4 values as printed (float32), which
    # bitsandbytes ships; ours are computed from scipy's normal quantiles.
    published = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                 -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                 0.7229568362236023, 1.0]
    np.testing.assert_allclose(qz.nf4_levels(), published, atol=2e-7)


def test_absmax_matches_llm_int8_formula_at_8_bits():
    # Dettmers et al. 2022, Sec. 2.1: X_i8 = round(127 / max|X| * X)
    x = RNG.standard_normal(1000)
    expected = np.rint(127 / np.abs(x).max() * x)
    q = qz.quantize(x, 8)
    codes = qz.unpack_codes(q.codes, 8, x.size).astype(int) - 128
    assert np.array_equal(codes, expected)


@pytest.mark.parametrize(("bits", "scheme", "block"), [(4, "absmax", 64), (3, "zero_point", 7), (4, "nf4", 5),
                                                       (5, "absmax", None), (16, "zero_point", 10)])
def test_nbytes_are_the_bytes_of_the_arrays_produced(bits, scheme, block):
    shape = (7, 33)
    x = RNG.standard_normal(shape).astype(np.float32)
    q = qz.quantize(x, bits, scheme, block)
    n_blocks = 1 if block is None else shape[0] * math.ceil(shape[1] / block)
    code_bytes = math.ceil(x.size * bits / 8)  # independent count: bits rounded up to whole bytes
    zero_bytes = math.ceil(n_blocks * bits / 8) if scheme == "zero_point" else 0
    assert q.codes.dtype == np.uint8 and q.codes.nbytes == code_bytes
    assert q.scales.dtype == np.float32 and q.scales.size == n_blocks
    assert q.nbytes == code_bytes + 4 * n_blocks + zero_bytes
    assert q.nbytes == sum(a.nbytes for a in (q.codes, q.scales, q.zero_points) if a is not None)


def test_four_bit_codes_take_half_a_byte():
    q = qz.quantize(np.ones((128, 64)), 4, block_size=64)
    assert q.codes.nbytes == 128 * 64 // 2 and q.bits_per_value == 4 + 32 / 64


@pytest.mark.parametrize("bits", [2, 3, 5, 6, 9, 13])
def test_packing_round_trips(bits):
    codes = RNG.integers(0, 2**bits, size=101)
    packed = qz.pack_codes(codes, bits)
    assert packed.nbytes == math.ceil(101 * bits / 8)
    assert np.array_equal(qz.unpack_codes(packed, bits, 101), codes)


def test_blocks_reduce_the_error_and_nf4_beats_int4_on_normal_weights():
    w = RNG.standard_normal((256, 256))
    errors = [qz.relative_error(w, 4, "absmax", b) for b in (None, 256, 64, 16)]
    assert errors == sorted(errors, reverse=True)
    assert qz.relative_error(w, 4, "nf4", 64) < qz.relative_error(w, 4, "absmax", 64)


def test_one_outlier_ruins_per_tensor_absmax():
    w = RNG.standard_normal((64, 64))
    spoiled = w.copy()
    spoiled[3, 5] = 100.0
    assert qz.relative_error(spoiled, 4) > 2.5 * qz.relative_error(w, 4)


def test_double_quantization_arithmetic_of_qlora():
    # QLoRA Sec. 3: 32/64 = 0.5 bits per parameter for float32 constants; 8/64 + 32/(64*256) after double
    # quantization (quoted as 0.127 bits), exact in binary fractions
    assert qz.bits_per_param(4, 64) - 4 == 0.5
    assert qz.double_quantized_constant_bits() == 8 / 64 + 32 / 16384 == 0.126953125


def test_zero_training_bytes():
    # Rajbhandari et al. 2020, Sec. 3: 2 + 2 + K with K = 12 for mixed-precision Adam
    assert qz.training_bytes_per_param() == 16.0
    assert sum(v for k, v in qz.ZERO_2020_BYTES_PER_PARAM.items() if "fp32" in k) == 12.0


def test_largest_model():
    assert qz.largest_model_params(80e9, 4.0) == 160e9
    assert qz.largest_model_params(24e9, 16.0, reserved_bytes=4e9) == 10e9
    assert qz.largest_model_params(1e9, 8.0, reserved_bytes=2e9) == 0.0


def test_int8_decomposition_rescues_outlier_features():
    x = RNG.standard_normal((256, 64))
    x[:, [3, 40]] *= 20.0  # two outlier dimensions, as LLM.int8() describes (magnitudes up to 20x)
    w = RNG.standard_normal((64, 32)) / 8
    exact = x @ w
    plain, none = qz.int8_matmul(x, w, threshold=None)
    mixed, outliers = qz.int8_matmul(x, w)
    assert none.size == 0 and list(outliers) == [3, 40]
    assert np.abs(mixed - exact).max() < np.abs(plain - exact).max() / 3
    assert list(qz.outlier_features(np.array([[1.0, -6.0, 5.99]]))) == [1]


def test_kumar_constants_and_effective_parameters():
    law = qz.KUMAR_2024
    assert law.alpha == law.beta == 0.4965  # App. K: tied
    # Eq. 3 with the offset: N_eff / N = 1 - exp(-P / gamma_w + n_w), computed by hand at P = 4
    assert law.effective_params(1.0, 4.0) == pytest.approx(1 - math.exp(-4 / 2.6745 + 0.3037), rel=1e-12)
    assert law.effective_params(1e8, 16.0) > law.effective_params(1e8, 4.0)
    assert law.loss(1e8, 1e10, 16.0) < law.loss(1e8, 1e10, 4.0)
    # Eq. 2: delta_PTQ grows with D at fixed N, and falls with N at fixed D
    assert law.ptq_growth(1e8, 2e10) / law.ptq_growth(1e8, 1e10) == pytest.approx(2**0.5068)
    assert law.ptq_growth(2e8, 1e10) < law.ptq_growth(1e8, 1e10)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"bits": 1}, ValueError), ({"bits": 17}, ValueError), ({"bits": 4.0}, TypeError), ({"bits": True}, TypeError),
    ({"bits": 4, "block_size": 0}, ValueError), ({"bits": 4, "block_size": -8}, ValueError),
    ({"bits": 4, "block_size": 2.5}, TypeError), ({"bits": 8, "scheme": "nf4"}, ValueError),
    ({"bits": 4, "scheme": "fp4"}, ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        qz.quantize(np.ones(8), **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("scheme", ["absmax", "zero_point", "nf4"])
def test_non_finite_weights_are_refused(bad, scheme):
    x = np.ones((4, 8))
    x[2, 3] = bad
    with pytest.raises(ValueError, match="finite"):
        qz.quantize(x, 4, scheme, 4)


@pytest.mark.parametrize("bad", [np.array([]), np.array(1.0), "abc", None, np.array([True, False])])
def test_bad_arrays(bad):
    with pytest.raises((TypeError, ValueError)):
        qz.quantize(bad, 4)


def test_float32_stays_float32_and_constant_blocks_are_exact():
    x = np.full((2, 8), 3.0, dtype=np.float32)
    for scheme in ("absmax", "zero_point", "nf4"):
        y = qz.round_trip(x, 4, scheme, 8)
        assert y.dtype == np.float32 and np.array_equal(y, x)
    assert np.array_equal(qz.round_trip(np.zeros(5), 3, "zero_point"), np.zeros(5))


def test_tiny_lm_trains_and_quantization_costs_loss():
    trained = tiny_lm.train_tiny_lm(steps=300, checkpoint_every=150)
    assert trained.checkpoint_tokens == (150 * 512, 300 * 512)
    model = trained.model
    base = model.loss(trained.held_out)
    assert base < math.log(len(tiny_lm.VOCAB))  # better than a uniform guess over the alphabet
    same = model.with_matrices(lambda w: w)
    assert same.loss(trained.held_out) == base
    two_bit = model.with_matrices(lambda w: qz.round_trip(w, 2)).loss(trained.held_out)
    eight_bit = model.with_matrices(lambda w: qz.round_trip(w, 8)).loss(trained.held_out)
    assert abs(eight_bit - base) < 0.01 < two_bit - base
    assert tiny_lm.train_tiny_lm(steps=300, checkpoint_every=150) is trained  # cached
    with pytest.raises(TypeError):
        tiny_lm.train_tiny_lm(steps=2.5)
    with pytest.raises(ValueError):
        model.with_matrices(lambda w: w[:1])


def test_held_out_loss_is_computed_once():
    trained = tiny_lm.train_tiny_lm(steps=300, checkpoint_every=150)
    first = trained.held_out_loss
    assert first == trained.model.loss(trained.held_out)  # the same value as computing it
    assert trained.__dict__["held_out_loss"] == first  # cached on the instance
    assert trained.held_out_loss is first
    assert tiny_lm.train_tiny_lm(0, 300, checkpoint_every=150) is trained  # the cache normalises how it is called


def test_tiny_lm_width_sets_the_size():
    narrow = tiny_lm.train_tiny_lm(steps=20, checkpoint_every=20, hidden=24).model
    v, c, e = len(tiny_lm.VOCAB), tiny_lm.CONTEXT, tiny_lm.EMBED
    # embedding, hidden matrix and bias, output matrix and bias: counted by hand
    assert narrow.n_params == v * e + 24 * c * e + 24 + v * 24 + v
    assert narrow.weights["output"].shape == (v, 24)
    with pytest.raises(ValueError, match="hidden"):
        tiny_lm.train_tiny_lm(hidden=0)


def test_encode():
    assert list(tiny_lm.encode("a\n\u00e9")) == [tiny_lm.VOCAB.index("a"), 0, tiny_lm.VOCAB.index(" ")]


def test_explorer_moves_and_refuses_values_off_its_grid():
    from lectures_lib.explorers.quantization import plot_quantization

    trained = tiny_lm.train_tiny_lm(steps=300, checkpoint_every=150)
    plot = plot_quantization(4, 64, trained=trained)
    first = plot.describe()
    plot.update(bits=2, block_size="matrix")
    assert plot.describe() != first and "2-bit" in plot.describe()
    stored, _, increase = plot.table[2, "matrix"]
    assert stored == pytest.approx(2 + 3 * 32 / plot.n_weights) and increase > 0.1
    with pytest.raises(ValueError):
        plot.update(bits=5, block_size=64)


def test_outlier_summary_sees_the_outliers_of_a_synthetic_matrix():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 64))
    w = rng.standard_normal((64, 32))
    calm = qz.outlier_summary(x, w)
    assert calm.kept == 0 and calm.peak_ratio < 2 and calm.share_above == 0.0 and calm.features == 64
    # vector-wise int8: each value moves by at most half a step, so the error is a small fraction
    assert 0 < calm.int8_error < 0.02
    x[:, [5, 40]] *= 20  # two outlier features, as in Dettmers et al. 2022
    loud = qz.outlier_summary(x, w)
    assert loud.kept == 2 and loud.peak_ratio > 10 and loud.int8_error > calm.int8_error
    assert loud.share_above == np.mean(np.abs(x) >= 6.0)
    with pytest.raises(ValueError, match="x.shape"):
        qz.outlier_summary(x, w[:3])  # shapes that do not multiply

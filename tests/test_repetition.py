"""lectures_lib.repetition against Muennighoff et al. 2023 (arXiv 2305.16264, Eq. 5-7 and App. A).

Published: the decay constants R*_D = 15.387756 and R*_N = 5.309743, the rounded law of App. A (521, 1488,
0.35, 1.87 and U_N = 0.051 U_D) and the appendix's worked example with R* = 3. The value fractions of 2, 4
and 16 epochs (98.4%, 93.1%, 66.1%) are derived from the constants (REFERENCE.md section 9, [D]) and are
recomputed here with the math module, not read from a table. The authors' code (github.com/huggingface/datablations,
README "Parametric Fit", [V-C]) pins the unrounded constants, the definitions of U_N, R_N and R_D, two printed
losses and a printed optimum.
"""

import math

import numpy as np
import pytest

from lectures_lib import compute
from lectures_lib import repetition as rp

LAW = rp.MUENNIGHOFF_2023_C4


def test_published_constants():  # App. A: "R_N^* = 5.309743 and R_D^* = 15.387756"
    assert (rp.MUENNIGHOFF_2023_R_D, rp.MUENNIGHOFF_2023_R_N) == (15.387756, 5.309743)
    # App. A prints the law rounded: 521 / N'**0.35 + 1488 / D'**0.35 + 1.87, with U_N = 0.051 U_D
    assert (round(LAW.A), round(LAW.B), round(LAW.E, 2), round(LAW.alpha, 2)) == (521, 1488, 1.87, 0.35)
    assert LAW.alpha == LAW.beta
    assert round(rp.unique_params(1e10) / 1e10, 3) == 0.051


@pytest.mark.parametrize("epochs, printed", [(2, 0.984), (4, 0.931), (16, 0.661)])
def test_value_of_repeated_tokens(epochs, printed):  # [D] from R*_D: D' / (epochs U) to three digits
    r_star = 15.387756
    by_hand = (1 + r_star * (1 - math.exp(-(epochs - 1) / r_star))) / epochs
    assert rp.repeated_token_value(epochs) == pytest.approx(by_hand, rel=1e-12)
    assert round(rp.repeated_token_value(epochs), 3) == printed
    assert rp.effective_tokens(3e9, epochs) == pytest.approx(3e9 * epochs * by_hand, rel=1e-12)


def test_the_appendix_example():  # App. A: with R* = 3 and R_D = 100, D' = 1 + 3 (1 - e^(-100/3)) "= 3.99"
    assert abs(rp.effective_tokens(1.0, 101, r_star=3.0) - 3.99) < 0.01
    assert rp.effective_tokens(1.0, 1e6, r_star=3.0) == pytest.approx(rp.effective_tokens_ceiling(1.0, r_star=3.0))


def test_one_r_star_of_repeats_is_worth_one_minus_one_over_e():  # Sec. 3.1
    u = 2e9
    repeated = rp.effective_tokens(u, 1 + rp.MUENNIGHOFF_2023_R_D) - u
    assert repeated / (u * rp.MUENNIGHOFF_2023_R_D) == pytest.approx(1 - 1 / math.e, rel=1e-12)


def test_effective_tokens_is_a_discounted_sum():
    # each repeat worth (1 - 1/R*) as much as the one before: the sum tends to Eq. 5 as R* grows
    r_star, repeats = 2000.0, 300
    total = sum((1 - 1 / r_star) ** k for k in range(1, repeats + 1))
    assert rp.effective_tokens(1.0, repeats + 1, r_star=r_star) == pytest.approx(1 + total, rel=1e-3)


def test_single_epoch_and_vectorised():
    u = np.array([1e9, 5e9, 2e10])
    np.testing.assert_array_equal(rp.effective_tokens(u, 1.0), u)
    grid = rp.effective_tokens(u[:, None], np.array([1.0, 2.0, 4.0]))
    assert grid.shape == (3, 3) and np.all(np.diff(grid, axis=1) > 0)
    assert np.all(rp.repeated_token_value(np.array([1.0, 2, 4, 16, 100])) <= 1.0)


def test_excess_parameters_decay():
    u_d = 1e10
    u_n = rp.unique_params(u_d)
    assert rp.effective_params(0.5 * u_n, u_d) == pytest.approx(0.5 * u_n, rel=1e-12)  # below U_N: N' = N
    r_n = 4.0
    assert rp.effective_params((1 + r_n) * u_n, u_d) == pytest.approx(
        u_n * (1 + 5.309743 * (1 - math.exp(-r_n / 5.309743))), rel=1e-12)


def test_data_constrained_law_reduces_to_chinchilla_for_one_epoch():  # Eq. 6 with R_N = R_D = 0
    n, d = 1e8, 5e9
    assert rp.data_constrained_loss(n, d, 1e12) == pytest.approx(LAW.loss(n, d), rel=1e-12)


def test_optimum_without_scarcity_is_chinchilla_s():
    c = np.array([1e20, 1e22])
    n, d, loss = rp.data_constrained_optimum(c, 1e15)
    n_free, d_free = LAW.compute_optimal(c)
    np.testing.assert_allclose(n, n_free, rtol=2e-3)
    np.testing.assert_allclose(loss, LAW.optimal_loss(c), rtol=1e-8)


def test_optimum_by_brute_force():
    c, u = 1e22, 2e10
    sizes = np.logspace(8, 11, 30001)
    losses = [rp.data_constrained_loss(s, compute.training_tokens(c, s), u) for s in sizes[::10]]
    best = sizes[::10][int(np.argmin(losses))]
    n, d, loss = rp.data_constrained_optimum(c, u)
    assert n == pytest.approx(best, rel=5e-3) and loss <= min(losses) + 1e-12
    assert d / u > 4 and n < LAW.compute_optimal(c)[0]  # scarce data: several epochs, a smaller model


@pytest.mark.parametrize("call, error, name", [
    (lambda: rp.effective_tokens(1e9, 0.5), ValueError, "epochs"),
    (lambda: rp.effective_tokens(-1e9, 2), ValueError, "unique_tokens"),
    (lambda: rp.effective_tokens(1e9, 2, r_star=0), ValueError, "r_star"),
    (lambda: rp.repeated_token_value("2"), TypeError, "epochs"),
    (lambda: rp.effective_params(1e9, 1e10, law="C4"), TypeError, "law"),
    (lambda: rp.data_constrained_loss(1e9, np.nan, 1e10), ValueError, "n_tokens"),
    (lambda: rp.data_constrained_optimum(1e21, 1e10, points=10), ValueError, "points"),
    (lambda: rp.data_constrained_optimum(0, 1e10), ValueError, "flops"),
])
def test_bad_input_is_named(call, error, name):
    with pytest.raises(error, match=name):
        call()


# The authors' own code (github.com/huggingface/datablations, README, "Parametric Fit") defines
#   U_N = min(N, D_to_N(U)) with D_to_N(D) = (D G)**(beta / alpha) G, G = ((alpha A) / (beta B))**(1 / (alpha + beta)),
#   R_D = max(D / U - 1, 0), R_N = max(N / U_N - 1, 0), A = e**6.255414, B = e**7.3049974, E = e**0.6254804,
# and prints the outputs below ([V-C]: the authors' code output, for the two models of their Figure 1, right).
@pytest.mark.parametrize("n, d, printed", [(6.34e9, 242e9, 2.2256440889984477),
                                           (8.67e9, 178e9, 2.2269634075087867)])
def test_the_authors_printed_losses(n, d, printed):
    assert rp.data_constrained_loss(n, d, 25e9) == pytest.approx(printed, rel=1e-12)


def test_unique_params_and_repeats_match_the_authors_definitions():  # datablations README, as above
    a, b, e, alpha = 6.255414, 7.3049974, 0.6254804, 0.3526596
    assert (LAW.A, LAW.B, LAW.E) == pytest.approx((math.exp(a), math.exp(b), math.exp(e)), rel=1e-15)
    g = ((alpha * math.exp(a)) / (alpha * math.exp(b))) ** (1 / (2 * alpha))
    for u, n in ((25e9, 8.67e9), (25e9, 0.5e9), (1e12, 3e9)):
        u_n = min(n, (u * g) ** 1.0 * g)                                     # beta / alpha = 1 in this fit
        assert rp.unique_params(u, n) == pytest.approx(u_n, rel=1e-12)
        r_n = max(n / u_n - 1, 0)
        assert rp.effective_params(n, u) == pytest.approx(u_n * (1 + 5.309743 * (1 - math.exp(-r_n / 5.309743))),
                                                          rel=1e-12)


def test_the_authors_grid_search_optimum():
    # README: optimal_allocation(8.67e9, 178e9, 25e9) "-> 227B tokens, 9.1 epochs, 6.8B parameters", a grid
    # search at fixed N D (fixed compute); re-run here as they wrote it, and against our continuous search.
    n0, d0, u0 = 8.67e9, 178e9, 25e9
    best = (math.inf, 0.0, 0.0)
    for i in np.linspace(1.0001, 3, 500):
        for n, d in ((n0 / i, d0 * i), (n0 * i, d0 / i)):
            loss = rp.data_constrained_loss(n, d, min(u0, d))
            best = min(best, (loss, d, n))
    _, d_grid, n_grid = best
    assert (round(d_grid / 1e9), round(d_grid / u0, 1), round(n_grid / 1e9, 1)) == (227, 9.1, 6.8)
    n, d, _ = rp.data_constrained_optimum(compute.training_flops(n0, d0), u0)
    assert (round(d / 1e9), round(d / u0, 1), round(n / 1e9, 1)) == (227, 9.1, 6.8)

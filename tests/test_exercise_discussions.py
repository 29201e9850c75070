"""The discussion cells of the exercise sources: where they stand, and every number they state.

Each discussion (a Markdown cell tagged ``discussion``, id ``qK-discussion``, right after the answer cell
``qK-answer``) answers the prompts of its question. Every number it states that the question does not is
computed here again, independently (numpy with the constants written here, their source in a comment, or
the library), and must appear in the text as written there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "exercises" / "source"
EXERCISES = ("00_power_laws", "01_kaplan", "02_chinchilla", "03_chinchilla_trap", "04_test_time_compute",
             "05_mixture_of_experts", "06_quantization", "07_why_power_laws", "08_whats_next")
#: The questions that have a discussion, per exercise.
DISCUSSED = {
    "00_power_laws": ("q3", "q5", "q6", "q7"),
    "01_kaplan": ("q2", "q4", "q5", "q6", "q7"),
    "02_chinchilla": ("q2", "q3", "q4", "q6", "q7"),
    "03_chinchilla_trap": ("q2", "q3", "q4", "q5", "q6", "q8"),
    "04_test_time_compute": ("q1", "q2", "q3", "q4", "q5", "q6"),
    "05_mixture_of_experts": ("q3", "q6", "q8"),
    "06_quantization": ("q2", "q5", "q7"),
    "07_why_power_laws": ("q2", "q3", "q5", "q6", "q7"),
    "08_whats_next": ("q2", "q5"),
}
PF_DAY = 1e15 * 24 * 3600  # FLOPs in a PF-day: 1e15 FLOP/s for 86,400 s
# Hoffmann et al. 2022 (arXiv 2203.15556), Eq. 10 as printed: E, A, B, alpha, beta
HOFFMANN = (1.69, 406.4, 410.7, 0.34, 0.28)
# Besiroglu et al. 2024 (arXiv 2404.10102), the replication's refit: E, A, B, alpha, beta
BESIROGLU = (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
# Sardana et al. 2024 (arXiv 2401.00448): Hoffmann's E, A, B with alpha 0.336 and beta 0.283
SARDANA = (1.69, 406.4, 410.7, 0.336, 0.283)


def _notebook(exercise: str) -> nbformat.NotebookNode:
    return nbformat.read(SOURCES / f"{exercise}.ipynb", as_version=4)


def _discussion(exercise: str, qid: str) -> str:
    """The text of a discussion cell, whitespace collapsed, after checking where it stands."""
    nb = _notebook(exercise)
    ids = [cell.get("id") for cell in nb.cells]
    where = ids.index(f"{qid}-discussion")
    cell = nb.cells[where]
    assert cell.cell_type == "markdown" and cell.metadata.get("tags") == ["discussion"]
    assert ids[where - 1] == f"{qid}-answer" and ids[where + 1] == f"{qid}-check"
    return " ".join(cell.source.split())


def _says(text: str, written: str) -> None:
    assert " ".join(written.split()) in text, f"the discussion does not say {written!r}"


def _optimum(law, flops):
    """Compute-optimal N and D of L = E + A/N**alpha + B/D**beta under C = 6ND, written out here."""
    _, A, B, alpha, beta = law
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    n = G * (flops / 6) ** (beta / (alpha + beta))
    return n, flops / (6 * n)


def _loss(law, n, d):
    E, A, B, alpha, beta = law
    return E + A * n**-alpha + B * d**-beta


@pytest.mark.parametrize("exercise", EXERCISES)
def test_discussions_stand_after_their_answers_and_are_short(exercise):
    nb = _notebook(exercise)
    found = []
    for index, cell in enumerate(nb.cells):
        if "discussion" not in cell.metadata.get("tags", []):
            continue
        qid = cell.get("id", "").removesuffix("-discussion")
        found.append(qid)
        assert nb.cells[index - 1].get("id") == f"{qid}-answer", cell.get("id")
        assert not any(line.lstrip().startswith("#") for line in cell.source.splitlines()), "no headings"
        assert 60 <= len(cell.source.split()) <= 200, (cell.get("id"), len(cell.source.split()))
    assert tuple(found) == DISCUSSED[exercise]


def test_no_discussion_line_stands_anywhere_it_would_be_published():
    """The website test flags a solution line (8 characters or more) shown on any page but the worked solutions:
    no discussion line may also stand in a chapter, a student copy or another cell of a source (display math
    is written on one line, ``$$...$$``, since a bare ``$$`` line also stands in the questions)."""
    elsewhere = []
    chapters, copies = ROOT / "notebooks", ROOT / "notebooks" / "exercises"
    published = sorted(chapters.glob("*.ipynb")) + sorted(copies.glob("*.ipynb"))
    for path in published:
        elsewhere += [cell.source for cell in nbformat.read(path, as_version=4).cells]
    lines = []
    for exercise in EXERCISES:
        for cell in _notebook(exercise).cells:
            if "discussion" in cell.metadata.get("tags", []):
                lines += [line.strip() for line in cell.source.splitlines() if len(line.strip()) >= 8]
            else:
                elsewhere.append(cell.source)
    text = "\n".join(elsewhere)
    assert lines and [line for line in lines if line in text] == []
    # and the release test refuses any discussion line, however short, that is also a whole line of a student copy
    for exercise in EXERCISES:
        copy = nbformat.read(copies / f"{exercise}.ipynb", as_version=4)
        copy_lines = {line.strip() for cell in copy.cells for line in cell.source.splitlines()}
        for cell in _notebook(exercise).cells:
            if "discussion" in cell.metadata.get("tags", []):
                assert not {line.strip() for line in cell.source.splitlines() if line.strip()} & copy_lines


def test_exercise_0_discussions():
    from lectures_lib import kaplan
    from lectures_lib.exercises.ex00_power_laws import RUN_FLOPS, RUN_NOISE

    # q3: alpha = 0.05 is Kaplan et al.'s compute exponent (Eq. 1.3, 0.050)
    text = _discussion("00_power_laws", "q3")
    assert kaplan.KAPLAN_2020_LOSS_VS_COMPUTE.exponent == 0.05
    _says(text, "$\\alpha = 0.05$")
    _says(text, f"a 10% cut then needs {(1 / 0.9) ** 20:.1f} times")
    _says(text, f"a 20% cut about {(1 / 0.8) ** 20:.0f} times")
    assert round(np.log10(2.0**20)) == 6
    _says(text, "$2^{20}$, roughly a million times")

    # q5: the standard errors of a least-squares line through the sixteen runs at 3% log-normal noise
    text = _discussion("00_power_laws", "q5")
    assert len(RUN_FLOPS) == 16 and RUN_NOISE == 0.03
    _says(text, "about 3% around their law")
    x = np.log(RUN_FLOPS)
    sxx = np.sum((x - x.mean()) ** 2)
    slope_se = RUN_NOISE / np.sqrt(sxx)
    _says(text, f"uncertain by about {slope_se:.3f} (one standard error)")
    assert np.exp(x.mean()) == pytest.approx(1e19)
    _says(text, "the centre of the runs, $10^{19}$ FLOPs")
    for flops, where in ((1e23, "at $10^{23}$"), (1e24, "at $10^{24}$"), (1e25, "at $10^{25}$")):
        prediction_se = np.sqrt(RUN_NOISE**2 / len(x) + slope_se**2 * (np.log(flops) - x.mean()) ** 2)
        _says(text, f"{100 * prediction_se:.1f}% {where}")
    # the same by simulation: refit 2,000 noisy copies of a pure law and look at the spread at 1e24
    rng = np.random.default_rng(0)
    noisy = -0.06 * x + RUN_NOISE * rng.standard_normal((2000, x.size))
    fits = np.array([np.polyfit(x, row, 1) for row in noisy])
    spread = np.std(fits[:, 0] * np.log(1e24) + fits[:, 1])
    assert spread == pytest.approx(np.sqrt(RUN_NOISE**2 / 16 + slope_se**2 * (np.log(1e24) - x.mean()) ** 2), rel=0.1)

    # q6: a target 1% lower at alpha = 0.05
    text = _discussion("00_power_laws", "q6")
    _says(text, f"about {100 * ((1 / 0.99) ** 20 - 1):.0f}% more compute")

    # q7: what each slip gives, on two runs 30 times apart on a law with alpha = 0.07
    text = _discussion("00_power_laws", "q7")
    _says(text, f"by a factor {np.log(10):.1f}")
    _says(text, f"{np.log(10):.1f} times too large")
    alpha, factor = 0.07, 30.0
    l1, l2 = 3.0, 3.0 * factor**-alpha
    assert np.log10(l1 / l2) / np.log(factor) == pytest.approx(alpha / np.log(10))
    assert np.log(l1 / l2) / np.log10(factor) == pytest.approx(alpha * np.log(10))
    assert np.log10(l1 / l2) == pytest.approx(alpha * np.log10(factor))
    linear = (l1 - l2) / l1 / (factor - 1)
    assert linear <= alpha * np.log(factor) / (factor - 1) < alpha / 5


def test_exercise_1_discussions():
    from lectures_lib.exercises.ex01_kaplan import EXERCISE, STUDY_PF_DAYS

    # Kaplan et al. 2020 (arXiv 2001.08361), Table 2: alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13
    alpha_n, alpha_d, n_c, d_c = 0.076, 0.103, 6.4e13, 1.8e13
    ratio = alpha_n / alpha_d

    # q2: the data share behind the rule of thumb D = 5e3 N**0.74 (Eq. 4.4)
    text = _discussion("01_kaplan", "q2")
    _says(text, f"$N^{{\\alpha_N/\\alpha_D}} = N^{{{ratio:.3f}}}$")
    _says(text, f"about {10**ratio:.1f} times the tokens")

    def share(n):
        return d_c * (n / n_c) ** ratio / (5e3 * n**0.74)

    _says(text, f"N^{{{ratio - 0.74:.3f}}}")
    _says(text, f"about {share(1e9):.2f}, drifting only from {share(1e6):.3f} at a million parameters "
                f"to {share(1e12):.3f} at a trillion")
    _says(text, f"Then $1.22^{{0.103}} \\approx {1.22**alpha_d:.2f}$")
    _says(text, f"about {100 * (1.22**alpha_d - 1):.0f}% above the converged one")

    # q4: Eq. 1.4, B_crit = 2e8 / L**(1 / 0.21) tokens
    text = _discussion("01_kaplan", "q4")

    def critical(loss):
        return 2e8 / loss ** (1 / 0.21)

    _says(text, f"$1/\\alpha_B \\approx {1 / 0.21:.1f}$")
    _says(text, f"about {critical(3.0) / 1e6:.1f} million tokens at a loss of 3 nats and "
                f"{critical(2.0) / 1e6:.1f} million at 2 nats")
    _says(text, f"$2^{{21}} \\approx {2**21 / 1e6:.1f}$ million tokens")
    _says(text, f"above about {(2e8 / 2**21) ** 0.21:.1f} nats")
    _says(text, f"$0.9^{{-1/0.21}} \\approx {0.9 ** (-1 / 0.21):.2f}$")
    _says(text, f"a fall of {100 * (1 - 2**-0.21):.1f}% doubles")

    # q5: the grid and the scatter of the best sizes in the exercise's own simulated studies
    text = _discussion("01_kaplan", "q5")
    _says(text, f"{0.73 - 0.5:.2f} apart, with the midpoint at {(0.73 + 0.5) / 2:.3f}")
    _says(text, f"0.05 decade or about {100 * (10**0.05 - 1):.0f}% in size")
    x = np.log10(STUDY_PF_DAYS)
    variances = []
    for seed in range(300):
        study = EXERCISE.draw("q5", np.random.default_rng(seed))
        best = np.log10(study["sizes"][np.arange(x.size), np.argmin(study["loss"], axis=1)])
        residuals = best - np.polyval(np.polyfit(x, best, 1), x)
        variances.append(np.sum(residuals**2) / (x.size - 2))
    per_budget = np.sqrt(np.mean(variances))
    _says(text, f"about {per_budget:.1f} decade (a factor {10 ** round(per_budget, 1):.2f})")
    lever = np.sqrt(np.sum((x - x.mean()) ** 2))
    _says(text, f"\\approx {lever:.1f}$")
    _says(text, f"about {per_budget / lever:.2f}, under a tenth")
    assert per_budget / lever < 0.1 * (0.73 - 0.5)

    # q6: Table 6 frontier N = 1.3e9 C**0.73 and D = 2e10 C**0.27 (C in PF-days)
    text = _discussion("01_kaplan", "q6")
    _says(text, f"$24^{{0.73}} \\approx {24**0.73:.0f}$")
    _says(text, f"about {1000**0.23:.1f} at 1,000 PF-days")
    _says(text, f"$\\sqrt{{3}} \\approx {np.sqrt(3):.1f}$")
    overcount = 6 * 1.3e9 * 2e10 / PF_DAY  # 6 N_opt D_opt / C, the same at every budget (exponents add to 1)
    _says(text, f"is {overcount:.1f} times the budget")
    _says(text, f"$3/{overcount:.1f} \\approx {3 / overcount:.1f}$")

    # q7: Kaplan's frontier against 20 tokens per parameter
    text = _discussion("01_kaplan", "q7")
    rule = np.sqrt(PF_DAY / 120)
    coefficient = 1.3e9 / rule
    _says(text, f"\\approx {rule / 1e8:.1f} \\times 10^{{8}}\\,C^{{0.5}}")
    _says(text, f"\\approx {coefficient:.2f}\\,C^{{0.23}}")
    _says(text, f"(g/{coefficient:.2f})^{{{1 / 0.23:.2f}}}")
    _says(text, f"only about {coefficient:.1f} in size")
    # Kaplan et al. Sec. 2.2-2.3: the largest model, 1.5e9 parameters, trained 2.5e5 steps of 512 x 1024 tokens
    largest = 6 * 1.5e9 * 2.5e5 * 512 * 1024 / PF_DAY
    _says(text, f"at about {largest:.0f} PF-days")
    _says(text, f"by {coefficient * largest**0.23:.1f}")
    # Brown et al. 2020: GPT-3, 175e9 parameters on 300e9 tokens
    gpt3 = 6 * 175e9 * 300e9 / PF_DAY
    _says(text, f"At GPT-3's {round(gpt3, -1):,.0f} PF-days the gap is about {coefficient * gpt3**0.23:.0f}")
    _says(text, f"$10^{{0.23}} \\approx {10**0.23:.1f}$")
    n_opt, _ = _optimum(BESIROGLU, PF_DAY)
    best = _loss(BESIROGLU, n_opt, PF_DAY / (6 * n_opt))
    for off in (1.5, 1 / 1.5):
        n = off * n_opt
        _says(text, f"about {100 * (_loss(BESIROGLU, n, PF_DAY / (6 * n)) / best - 1):.1f}% of the loss at 1 PF-day")


def test_exercise_2_discussions():
    from lectures_lib.exercises.ex02_chinchilla import EXERCISE

    # q2: how the optimal tokens per parameter drift per decade of compute
    text = _discussion("02_chinchilla", "q2")
    _, _, _, alpha, beta = HOFFMANN
    _says(text, f"grow by {100 * (10 ** ((alpha - beta) / (alpha + beta)) - 1):.0f}% per decade")
    _, _, _, alpha, beta = BESIROGLU
    _says(text, f"fall by about {100 * (1 - 10 ** ((alpha - beta) / (alpha + beta))):.0f}% per decade")
    # with alpha = beta the ratio is G**-2 = (B / A)**(1 / alpha) at every budget
    law = (1.8, 500.0, 1500.0, 0.3, 0.3)
    ratios = [d / n for n, d in (_optimum(law, c) for c in (1e20, 1e25))]
    assert ratios == pytest.approx([(1500.0 / 500.0) ** (1 / 0.3)] * 2)

    # q3: the slips' sizes against the replication's optimum at 1e23 FLOPs
    text = _discussion("02_chinchilla", "q3")
    _, _, _, alpha, beta = BESIROGLU
    a, b = beta / (alpha + beta), alpha / (alpha + beta)
    _says(text, f"\\approx {a:.3f}$")
    flops = 1e23
    right, _ = _optimum(BESIROGLU, flops)
    hoffmann = _optimum(HOFFMANN, flops)[0] / right
    assert 0.45 < hoffmann < 0.55 and _optimum(HOFFMANN, 1e25)[0] / _optimum(BESIROGLU, 1e25)[0] < hoffmann
    _says(text, "about half the right one at $10^{23}$ FLOPs")
    _says(text, f"about {(flops / 6) ** (a - b):.1f} times at $10^{{23}}$ FLOPs")
    kaplan = 1.3e9 * (flops / PF_DAY) ** 0.73 / right  # Kaplan et al. 2020, Table 6
    assert 1.3e9 * (1e25 / PF_DAY) ** 0.73 / _optimum(BESIROGLU, 1e25)[0] > kaplan
    _says(text, f"about {kaplan:.1f} times at $10^{{23}}$ FLOPs and more at larger budgets")
    _says(text, f"$6^{{a}} \\approx {6**a:.1f}$ times too large")
    _says(text, f"about {np.sqrt(flops / 40) / right:.1f} times too large at $10^{{23}}$ FLOPs")

    # q4: the grid spans a factor 100; a parabola in log10 N has its vertex at the same N as one in ln N
    text = _discussion("02_chinchilla", "q4")
    q4 = EXERCISE.draw("q4", np.random.default_rng(0))
    assert q4["n_params"].max() / q4["n_params"].min() == pytest.approx(100)
    _says(text, "a grid spanning a factor 100")
    vertices = []
    for log in (np.log, np.log10):
        c2, c1, _ = np.polyfit(log(q4["n_params"]), q4["final_loss"], 2)
        vertices.append(-c1 / (2 * c2) * (np.log(10) if log is np.log10 else 1.0))
    assert vertices[0] == pytest.approx(vertices[1], rel=1e-9)

    # q6: to second order the excess is (1/2) alpha (alpha + beta) A N_opt**-alpha ln(k)**2
    _discussion("02_chinchilla", "q6")
    E, A, B, alpha, beta = BESIROGLU
    n_opt, d_opt = _optimum(BESIROGLU, 1e23)

    def excess(k):
        return _loss(BESIROGLU, k * n_opt, d_opt / k) - _loss(BESIROGLU, n_opt, d_opt)

    second_order = 0.5 * alpha * (alpha + beta) * A * n_opt**-alpha * np.log(1.02) ** 2
    assert excess(1.02) == pytest.approx(second_order, rel=1e-2)
    assert excess(3.0) != pytest.approx(excess(1 / 3.0), rel=1e-3)

    # q7: L*(C) = E + K (C/6)**-gamma, and what 1% more reducible loss costs
    text = _discussion("02_chinchilla", "q7")
    for law in (BESIROGLU, HOFFMANN):
        E, A, B, alpha, beta = law
        gamma = alpha * beta / (alpha + beta)
        G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
        sizes = np.logspace(9, 13, 400_001)  # a brute-force frontier at 1e24 FLOPs
        frontier = np.min(_loss(law, sizes, 1e24 / (6 * sizes)))
        assert frontier == pytest.approx(E + (A * G**-alpha + B * G**beta) * (1e24 / 6) ** -gamma, rel=1e-9)
        _says(text, f"{1 / gamma:.1f}")
        _says(text, f"{100 * (1 - 1.01 ** (-1 / gamma)):.1f}%")
    _says(text, "about 5.6 with the replication's constants and 6.5 with Hoffmann et al.'s")
    _says(text, "about 5.4% of the compute with the replication's constants and 6.3% with Hoffmann et al.'s")


def test_exercise_3_discussions():
    from lectures_lib import lifetime

    _discussion("03_chinchilla_trap", "q2")
    _discussion("03_chinchilla_trap", "q3")
    _, A, B, alpha, beta = SARDANA

    def overhead(k, n_opt=1e10):
        """Extra training compute of a model k times the compute-optimal size n_opt, at the same loss."""
        G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
        d_opt = (n_opt / G) ** ((alpha + beta) / beta) / n_opt  # the budget (C/6) at which n_opt is optimal, / N
        d_k = (d_opt**-beta + (A / B) * n_opt**-alpha * (1 - k**-alpha)) ** (-1 / beta)
        return k * d_k / d_opt - 1

    # q4: the overhead is the same for every size, and the payback is 3 overhead / (1 - k) training tokens
    text = _discussion("03_chinchilla_trap", "q4")
    assert overhead(0.75, 2e9) == pytest.approx(overhead(0.75, 5e10), rel=1e-9)
    assert overhead(0.5) == pytest.approx(float(lifetime.size_overhead(0.5, law=lifetime.SARDANA_2024)), rel=1e-9)
    _says(text, f"three quarters the size needs {100 * overhead(0.75):.1f}% more training compute and pays it back "
                f"after about {3 * overhead(0.75) / 0.25:.2f} times $D$")
    _says(text, f"half the size needs {100 * overhead(0.5):.0f}% more and pays back after about "
                f"{3 * overhead(0.5) / 0.5:.2f} times $D$")
    assert overhead(0.99) / 0.01 < 0.01  # second order near k = 1

    # q5: the smallest size that reaches a compute-optimal model's loss
    text = _discussion("03_chinchilla_trap", "q5")
    _says(text, f"about {(1 + alpha / beta) ** (-1 / alpha):.3f} with Sardana et al.'s constants")

    # q6: the lifetime optimum shrinks as the demand it is given grows, so each slip lands on its side
    _discussion("03_chinchilla_trap", "q6")
    demand = 1e10 * 365 * 3
    readings = np.array([0.0, 1e10 * 3, demand / 3, demand / 2, demand, 2 * demand, 3 * demand])
    sizes = np.asarray(lifetime.lifetime_optimal(2.1, readings, law=lifetime.SARDANA_2024)[0])
    assert np.all(np.diff(sizes) < 0)
    assert re.search(r"\$6N\$ FLOPs \(three times the count\).*too small", _discussion("03_chinchilla_trap", "q6"))

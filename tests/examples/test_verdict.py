"""The experiments' verdict rule (examples/experiments/verdict.py) against answers worked by
hand: t quantiles from tables, closed-form t tails (df 1 and 2), Holm's step-down order, TOST."""
import math
import os
import sys

import pytest

from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples", "experiments"))
import verdict as V  # noqa: E402


@pytest.mark.parametrize("df, q", [(1, 12.706204736), (2, 4.302652730), (4, 2.776445105),
                                   (9, 2.262157163), (30, 2.042272456)])
def test_t_quantile_matches_the_tables(df, q):
    assert math.isclose(V.t_ppf(0.975, df), q, rel_tol=1e-8)
    assert math.isclose(V.t_ppf(0.025, df), -q, rel_tol=1e-8)


def test_t_tails_match_the_closed_forms():
    for t in (0.3, 1.0, 2.5, 7.0):
        # df 1 (Cauchy): P(|T| > t) = 1 - 2/pi atan t; df 2: 1 - t / sqrt(t^2 + 2)
        assert math.isclose(2 * V.t_sf(t, 1), 1 - 2 / math.pi * math.atan(t), rel_tol=1e-10)
        assert math.isclose(2 * V.t_sf(t, 2), 1 - t / math.sqrt(t * t + 2), rel_tol=1e-10)
    assert V.t_cdf(0.0, 5) == 0.5


def test_t_against_scipy_when_installed():
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 3, 4, 7, 19):
        for t in (-3.1, -0.4, 0.9, 2.2, 5.5):
            assert math.isclose(V.t_cdf(t, df), stats.t.cdf(t, df), rel_tol=1e-9, abs_tol=1e-14)
        assert math.isclose(V.t_ppf(0.95, df), stats.t.ppf(0.95, df), rel_tol=1e-9)


def test_paired_interval_worked_by_hand():
    # d = 1, 2, 3: m 2, sd 1, se 1/sqrt 3, t = 2 sqrt 3 on 2 df
    s = V.Summary([1.0, 2.0, 3.0, float("nan")])
    assert s.n == 3 and s.df == 2
    half = 4.302652730 / math.sqrt(3)
    assert math.isclose(s.lo, 2 - half, rel_tol=1e-8) and math.isclose(s.hi, 2 + half, rel_tol=1e-8)
    assert math.isclose(s.t, 2 * math.sqrt(3))
    assert math.isclose(s.p, 1 - s.t / math.sqrt(s.t ** 2 + 2), rel_tol=1e-9)   # 0.0742
    one = V.Summary([0.5])
    assert one.n == 1 and one.p == 1.0 and math.isnan(one.lo)


def test_detectable_effect_by_hand():
    s = V.Summary([1.0, 2.0, 3.0])      # se 1/sqrt 3, 2 df: t(0.975) 4.3027, t(0.8) 1.0607
    assert math.isclose(s.mde(), (4.302652730 + 1.060660172) / math.sqrt(3), rel_tol=1e-7)
    assert math.isnan(V.Summary([1.0]).mde())


def test_holm_steps_down_and_stops_at_the_first_acceptance():
    rejected, adjusted = V.holm([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005 <= .05/4, 0.01 <= .05/3, 0.03 > .05/2: stop (0.04 is not rejected though
    # 0.04 <= .05/1)
    assert rejected == [True, False, False, True]
    assert [round(a, 10) for a in adjusted] == [0.03, 0.06, 0.06, 0.02]
    assert V.holm([0.049]) == ([True], [0.049])


def test_decide_gives_the_five_words():
    cs = [V.Contrast("clear effect", +1, paper_size=1.0),
          V.Contrast("clear opposite", +1, paper_size=1.0),
          V.Contrast("small, rules out the paper", +1, paper_size=1.0),
          V.Contrast("small, paper gives no size", +1),
          V.Contrast("noisy", +1, paper_size=1.0),
          V.Contrast("one seed", +1, paper_size=1.0)]
    diffs = [[2.0, 2.1, 1.9, 2.05, 1.95],
             [-2.0, -2.1, -1.9, -2.05, -1.95],
             [0.1, -0.1, 0.2, 0.0, -0.2],          # m 0, hi = 2.776 * 0.0707 = 0.196 < 1
             [0.1, -0.1, 0.2, 0.0, -0.2],
             [3.0, -4.0, 5.0, -2.0, 0.5],
             [9.0]]
    words = [r["word"] for r in V.decide(cs, diffs)]
    assert words == ["reproduced", "not reproduced", "excluded", "inconclusive",
                     "inconclusive", "inconclusive"]
    assert set(words) <= set(V.WORDS)


def test_holm_can_take_a_lone_significant_result_back():
    d = [0.9, 1.3, 0.5, 1.6, 0.2]          # t = 3.33 on 4 df: p = 0.029
    alone = V.decide([V.Contrast("x", +1)], [d])[0]
    assert alone["word"] == "reproduced" and 0.02 < alone["p"] < 0.04
    crowd = V.decide([V.Contrast(str(i), +1) for i in range(3)], [d, d, d])
    assert [r["word"] for r in crowd] == ["inconclusive"] * 3
    assert math.isclose(crowd[0]["p_holm"], 3 * alone["p"])


def test_tost_no_better_claims():
    eq = V.Contrast("A-LRN - A", 0, margin=1.0)   # against -1: A-LRN better (d < 0) contradicts
    tight = [0.1, -0.1, 0.05, 0.0, -0.05]
    wide = [3.0, -3.0, 2.0, -2.0, 0.0]
    better = [-3.0, -3.2, -2.9, -3.1, -3.0]
    worse = [3.0, 3.2, 2.9, 3.1, 3.0]
    out = V.decide([eq] * 4, [tight, wide, better, worse])
    assert [r["word"] for r in out] == ["reproduced", "inconclusive", "not reproduced",
                                        "reproduced"]
    # TOST p by hand for `tight`: m 0, se = sd/sqrt5, both one-sided p = P(T > 1/se), 4 df
    s = V.Summary(tight)
    assert math.isclose(out[0]["tost_p"], V.t_sf(1.0 / s.se, 4), rel_tol=1e-9)
    with pytest.raises(ValueError, match="margin"):
        V.Contrast("no margin", 0)
    with pytest.raises(ValueError, match="sign"):
        V.Contrast("minus", -1)


def test_fmt_ci():
    assert V.fmt_ci(V.Summary([])) == "—"
    assert V.fmt_ci(V.Summary([0.02]), 100) == "+2.00 (1 seed)"
    text = V.fmt_ci(V.Summary([1.0, 2.0, 3.0]))
    assert text.startswith("+2.00 [-0.48, +4.48] (3)")

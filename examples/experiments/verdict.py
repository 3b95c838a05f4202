"""The verdict rule of the experiment reports: paired t intervals, Holm-Bonferroni, TOST.

Fixed before the runs. Per contrast, with per-seed paired differences d_1..d_n (both arms of
seed s share its initial weights where shapes agree, data order and dropout stream):

    mean m, sample sd (ddof 1), se = sd / sqrt(n), t = m / se on n - 1 degrees of freedom;
    the 95% interval m ± t_{0.975, n-1} · se.

Directional contrasts (the paper says the difference is positive, in the contrast's units):
a two-sided paired t test at 5%, Holm-Bonferroni across every contrast of one report.

    reproduced       Holm-significant, the paper's sign
    not reproduced   Holm-significant, the opposite sign
    excluded         not significant, but the 95% interval's upper end is below the paper's
                     effect size (the size stated per contrast): an effect as large as the
                     paper's is ruled out
    inconclusive     none of these (or fewer than 2 seeds)
    not testable here  no run (decided by the claim, not by data; see the report)

"No better" contrasts (the paper says the arms do not differ) are two one-sided tests (TOST)
against a stated margin δ: H0 |mu| >= δ. Its p value, max of the two one-sided p values, joins
the Holm family; rejected: reproduced (equivalent within ±δ). Otherwise: not reproduced when the
95% interval lies wholly beyond δ on the side that contradicts the claim (for "A-LRN is no
better than A": A-LRN better by more than δ), reproduced when wholly beyond on the other side
(it is no better: it is worse), inconclusive otherwise.

Failed runs (diverged, or the final eval-mode training error never left chance) are taken out of
a contrast with their pair and reported apart; they are never averaged in.

The t distribution is computed here (the regularised incomplete beta function by Lentz's
continued fraction, the quantile by bisection), so the rule needs nothing beyond the standard
library; the tests check it against tabulated values and scipy when installed.
"""
import math

ALPHA = 0.05
WORDS = ("reproduced", "not reproduced", "excluded", "inconclusive", "not testable here")


# -- the t distribution --------------------------------------------------------------------------
def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc: x must be in [0, 1], got {x}")
    if x in (0.0, 1.0):
        return x
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    """P(T <= t) for Student's t with `df` degrees of freedom (df > 0)."""
    if df <= 0:
        raise ValueError(f"t_cdf: df must be positive, got {df}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_sf(t, df):
    """P(T > t)."""
    return t_cdf(-t, df)


def t_ppf(p, df):
    """The p quantile of Student's t (0 < p < 1), by bisection on t_cdf to ~1e-12."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_ppf: p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_ppf(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


# -- one contrast --------------------------------------------------------------------------------
class Summary:
    """The paired differences of one contrast: n, mean, sd, se, t, two-sided p, 95% interval."""

    def __init__(self, diffs):
        d = [float(x) for x in diffs if x is not None and math.isfinite(float(x))]
        self.n = n = len(d)
        self.mean = sum(d) / n if n else float("nan")
        if n >= 2:
            self.sd = math.sqrt(sum((x - self.mean) ** 2 for x in d) / (n - 1))
            self.se = self.sd / math.sqrt(n)
            self.df = n - 1
            q = t_ppf(1 - ALPHA / 2, self.df)
            self.lo, self.hi = self.mean - q * self.se, self.mean + q * self.se
            if self.se > 0:
                self.t = self.mean / self.se
                self.p = 2.0 * t_sf(abs(self.t), self.df)
            else:   # every seed gave the same difference
                self.t = math.copysign(math.inf, self.mean) if self.mean else 0.0
                self.p = 0.0 if self.mean else 1.0
        else:
            self.sd = self.se = self.t = self.lo = self.hi = float("nan")
            self.df, self.p = 0, 1.0

    def mde(self, power=0.8):
        """The smallest true mean difference these seeds would find significant (two-sided,
        5%, before Holm) with probability `power`, given the observed spread:
        (t_{0.975, n-1} + t_{power, n-1}) · se -- the usual approximation. nan below 2 seeds."""
        if self.n < 2:
            return float("nan")
        return (t_ppf(1 - ALPHA / 2, self.df) + t_ppf(power, self.df)) * self.se

    def tost_p(self, margin):
        """p value of the two one-sided tests H0: mean <= -margin, H0: mean >= +margin."""
        if self.n < 2:
            return 1.0
        if self.se == 0:
            return 0.0 if abs(self.mean) < margin else 1.0
        p_low = t_sf((self.mean + margin) / self.se, self.df)     # H0: mean <= -margin
        p_high = t_cdf((self.mean - margin) / self.se, self.df)   # H0: mean >= +margin
        return max(p_low, p_high)


def holm(pvalues, alpha=ALPHA):
    """Holm-Bonferroni: for each p (in the given order) whether it is rejected, and its adjusted
    p value (min(1, max over the step-down sequence of (m - rank) · p))."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [1.0] * m, 0.0
    rejected = [False] * m
    still = True
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
        if still and pvalues[i] <= alpha / (m - rank):
            rejected[i] = True
        else:
            still = False
    return rejected, adjusted


class Contrast:
    """One contrast's spec: `sign` +1 (the paper's difference is positive in these units) or 0
    (a "no better" / "no worse" claim, with `margin`; `against` -1 or +1 says which side of the
    difference contradicts the claim: for "A-LRN is no better than A" on d = err(A-LRN) -
    err(A), the negative side); `paper_size` the paper's effect in these units (positive), None
    when the paper gives none (then "excluded" cannot be said)."""

    def __init__(self, label, sign=+1, paper_size=None, margin=None, against=-1):
        if sign not in (+1, 0):
            raise ValueError(f"Contrast {label!r}: sign must be +1 or 0 (write the difference "
                             f"so the paper's direction is positive), got {sign}")
        if sign == 0 and not (margin and margin > 0):
            raise ValueError(f"Contrast {label!r}: a 'no better' contrast needs a margin > 0")
        self.label, self.sign, self.paper_size = label, sign, paper_size
        self.margin, self.against = margin, against


def decide(contrasts, diffs):
    """Verdicts for one report. contrasts: [Contrast]; diffs: [[paired differences]] in the
    same order. Returns [dict(word, summary, p, p_holm, tost_p)] in that order; a contrast with
    fewer than 2 differences is inconclusive and stays out of the Holm family."""
    sums = [Summary(d) for d in diffs]
    family = [i for i, s in enumerate(sums) if s.n >= 2]
    ps = [sums[i].tost_p(contrasts[i].margin) if contrasts[i].sign == 0 else sums[i].p
          for i in family]
    rejected, adjusted = holm(ps)
    out = []
    for i, (c, s) in enumerate(zip(contrasts, sums)):
        res = {"summary": s, "p": s.p, "p_holm": None, "tost_p": None, "word": "inconclusive"}
        if i in family:
            k = family.index(i)
            res["p_holm"], sig = adjusted[k], rejected[k]
            if c.sign == 0:
                res["tost_p"] = ps[k]
                beyond_against = (s.hi < -c.margin) if c.against < 0 else (s.lo > c.margin)
                beyond_for = (s.lo > c.margin) if c.against < 0 else (s.hi < -c.margin)
                res["word"] = ("reproduced" if sig or beyond_for else
                               "not reproduced" if beyond_against else "inconclusive")
            elif sig:
                res["word"] = "reproduced" if s.mean > 0 else "not reproduced"
            elif c.paper_size is not None and s.hi < c.paper_size:
                res["word"] = "excluded"
        out.append(res)
    return out


RULE_TEXT = (
    "Per contrast, each seed s gives a paired difference d_s (both arms of seed s share its "
    "initial weights wherever the shapes agree, its data order and its dropout stream), written "
    "so that the paper's effect is positive. With n seeds, mean m, sample standard deviation sd "
    "and se = sd/√n, the table gives m with its 95% confidence interval m ± t(0.975, n−1)·se "
    "from the t distribution. Each directional contrast is a two-sided paired t test at 5%; "
    "the p values of all the report's contrasts are corrected together by Holm–Bonferroni. "
    "**reproduced**: significant after Holm, the paper's sign. **not reproduced**: significant, "
    "the opposite sign. **excluded**: not significant, but the interval's upper end lies below "
    "the paper's effect size (stated per contrast), so an effect as large as the paper's is "
    "ruled out. **inconclusive**: none of these. **not testable here**: the claim needs colour "
    "or natural images larger than 28×28 (the reason is given per claim); no run is spent on "
    "it. A \"no better\" claim is an equivalence test (TOST, two one-sided t tests at 5%) with "
    "the stated margin δ; its p value joins the Holm family; equivalence shown: reproduced; "
    "interval wholly beyond δ on the side that contradicts the claim: not reproduced; wholly "
    "beyond on the other side: reproduced (e.g. no better because worse); else inconclusive. "
    "A failed run (diverged, or its "
    "final eval-mode training error never left chance) is listed apart and its seed leaves "
    "that contrast; it is never averaged in. The rule is `examples/experiments/verdict.py`, "
    "with its own unit tests, and was fixed before the runs.")


def fmt_ci(s, scale=1.0, digits=2):
    """'+1.23 [+0.40, +2.06] (5)' for a Summary; '—' when nothing; one seed: no interval."""
    if s.n == 0:
        return "—"
    if s.n == 1:
        return f"{s.mean * scale:+.{digits}f} (1 seed)"
    return (f"{s.mean * scale:+.{digits}f} [{s.lo * scale:+.{digits}f}, "
            f"{s.hi * scale:+.{digits}f}] ({s.n})")


def fmt_p(p):
    return "—" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")

"""Markdown for RESULTS.md: sections of tables, and the targets with whether each was met."""
from dataclasses import dataclass, field


@dataclass
class Target:
    number: str          # the targets table's numbering: "1", "2a", ...
    what: str
    goal: str            # e.g. "≤ 1.0"
    measured: str        # e.g. "0.93"
    met: object          # True, False or None (not measured)
    note: str = ""
    round: int = 1       # which set of targets: 1 (the first), 2 (the ratios tightened),
                         # 3 (the peers, AlexNet's first convolutions)


@dataclass
class Section:
    title: str
    intro: str = ""
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    targets: list = field(default_factory=list)


def ms(seconds):
    return f"{seconds * 1e3:.1f}" if seconds < 0.1 else f"{seconds * 1e3:.0f}"


def spread(t):
    """median (min–max) in milliseconds, with a dagger when the machine was busy throughout."""
    s = f"{ms(t.median)} ({ms(t.min)}–{ms(t.max)})"
    return s + " †" if t.disturbed else s


def others(*timings):
    """The most CPU (in cores) other processes used during any accepted run, and reruns."""
    known = [t.others for t in timings if t is not None and t.others is not None]
    reruns = sum(t.rejected for t in timings if t is not None)
    core = f"{max(known):.2f}" if known else "n/a"
    return f"{core} / {reruns}"


def verdict(met):
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _kept(first):
    """The tightened set's target 6, "keep" the first set's 4-6 (LRN, pool, ReLU, dropout, memory, the second
    process's first step): one row saying whether all of them still hold."""
    kept = [t for t in first if t.number in ("4", "5", "6")]
    if not kept:
        return []
    missed = [t.what for t in kept if t.met is False]
    return [Target("6", "keep the first round's targets 4–6 (ops, memory, first step)",
                   "as in the first round's table", f"{len(kept) - len(missed)} of {len(kept)} "
                   "met", not missed, ("missed: " + "; ".join(missed)) if missed else "",
                   round=2)]


def render(title, machine, sections, preamble=()):
    out = [f"# {title}", ""]
    out += list(preamble)
    out += ["## Machine", "", table(["", ""], list(machine.items())), ""]
    targets = sorted((t for s in sections for t in s.targets), key=lambda t: t.number)
    first = [t for t in targets if t.round == 1]
    second = [t for t in targets if t.round == 2] + _kept(first)
    third = [t for t in targets if t.round == 3]
    for heading, ts in (("Targets of the third performance round (issue 25)", third),
                        ("Targets of the second performance round (issue 12)", second),
                        ("Targets of the first performance round (issue 6)", first)):
        if ts:
            out += [f"## {heading}", "",
                    table(["#", "target", "goal", "measured", "result", "note"],
                          [[t.number, t.what, t.goal, t.measured, verdict(t.met), t.note]
                           for t in sorted(ts, key=lambda t: t.number)]), ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        if s.intro:
            out += [s.intro, ""]
        if s.rows:
            out += [table(s.header, s.rows), ""]
        for note in s.notes:
            out += [note, ""]
    return "\n".join(out).rstrip() + "\n"

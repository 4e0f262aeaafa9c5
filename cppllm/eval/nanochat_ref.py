"""Published English nanochat figures, for the report's "BPB competitive with English nanochat" (an M1 goal).

Bits per byte is the only unit the two share: it divides out the tokenizer (ours: 32K C++ BPE; nanochat's:
65K English BPE), but not the data. nanochat is trained and validated on English web text (FineWeb-EDU),
we on C++; code is more predictable per byte than prose (keywords, boilerplate, repeated identifiers), so a
lower bpb here does not by itself say the model is better, only that it compresses its own domain as well.
Each figure names where it was published; the nearest by parameter count is put next to ours.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class NanochatFigure:
    model: str
    params: int | None  # total parameters as published (None: not stated there)
    tokens: str
    data: str
    val_bpb: float
    source: str


FIGURES = (
    NanochatFigure(
        model="nanochat d20 (speedrun.sh, 65K vocab)",
        params=560_988_160,
        tokens="11.2B",
        data="FineWeb-EDU (English web text)",
        val_bpb=0.8120,
        source="report.md of an unmodified speedrun.sh run on 8xH100, Nov 2025 "
        "(github.com/royam0820/nanochat-speedrun-001, report.md: 'Minimum validation bpb: 0.8120')",
    ),
    NanochatFigure(
        model="nanochat d24 (leaderboard run 1)",
        params=None,
        tokens="12 x non-embedding params",
        data="FineWeb-EDU (English web text)",
        val_bpb=0.74833,
        source="karpathy/nanochat dev/LEADERBOARD.md, Run 1 (Jan 29 2026)",
    ),
    NanochatFigure(
        model="nanochat d26 (leaderboard run 3)",
        params=None,
        tokens="8.25 x non-embedding params",
        data="FineWeb-EDU (English web text)",
        val_bpb=0.74645,
        source="karpathy/nanochat dev/LEADERBOARD.md, Run 3 (Feb 5 2026)",
    ),
)


def nearest(params: int) -> NanochatFigure:
    """The published figure whose model is closest in size (only figures that state their size)."""
    sized = [f for f in FIGURES if f.params]
    return min(sized, key=lambda f: abs(f.params - params) / f.params)


def comparison_lines(our_bpb: float, params: int | None) -> list[str]:
    """Markdown: our val bpb next to English nanochat's, and how to read the two."""
    lines = [
        "### Next to English nanochat",
        "",
        "| model | params | data | val bpb | source |",
        "|---|---:|---|---:|---|",
        f"| this run | {f'{params / 1e6:.0f}M' if params else 'n/a'} | C++ (this run's val split) | "
        f"{our_bpb:.4f} | eval.json |",
    ]
    for f in FIGURES:
        size = f"{f.params / 1e6:.0f}M" if f.params else "not stated"
        lines.append(f"| {f.model} | {size} | {f.data}, {f.tokens} tokens | {f.val_bpb:.4f} | {f.source} |")
    lines.append("")
    if params:
        ref = nearest(params)
        ratio = our_bpb / ref.val_bpb
        word = "lower" if ratio < 1 else "higher"
        lines.append(
            f"Nearest in size: {ref.model} ({ref.params / 1e6:.0f}M against our {params / 1e6:.0f}M): ours is "
            f"{abs(1 - ratio):.0%} {word} ({our_bpb:.3f} vs {ref.val_bpb:.3f} bits per byte)."
        )
    lines += [
        "Bits per byte is the only unit the two share: it removes the tokenizers' difference (32K C++ BPE vs "
        "65K English BPE) but not the data's. C++ is more predictable per byte than English web text, so "
        "the comparison says whether this model compresses its domain about as well as nanochat compresses "
        "English, not which model is better.",
        "",
    ]
    return lines

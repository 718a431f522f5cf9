"""BENCHMARKS.md writer: tables with ratios against crlf, and SVG bar charts (stdlib only).

The benchmark scripts (http_bench.py, client_bench.py, parser.py, ...) each own one section of
BENCHMARKS.md at the project root, between the markers

    <!-- bench:NAME:begin -->  ...  <!-- bench:NAME:end -->

so that a re-run of one benchmark replaces its own section and leaves the others alone.  Each
section states the command line that produced it.  Charts are hand-written SVG files next to the JSON
results (benchmarks/results/*.svg), linked from the section.
"""

import html
import math
import os
import re
import shlex
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
HEADER = (
    "# crlf benchmarks\n\n"
    "Written by the scripts in `benchmarks/` (see `benchmarks/README.md`); each section says the\n"
    "command that produced it. Figures are from one machine and one run: compare the ratios within\n"
    "a section, not absolute numbers across machines.\n"
)


def command_line(argv=None):
    """The command that produced a result, with the script path relative to the project root."""
    argv = list(sys.argv if argv is None else argv)
    if argv:
        try:
            argv[0] = os.path.relpath(Path(argv[0]).resolve(), ROOT)
        except ValueError:
            pass
    return "python3 " + shlex.join(argv) if argv and argv[0].endswith(".py") else shlex.join(argv)


def update_section(name, body, path=BENCHMARKS_MD):
    """Replace (or append) the `name` section of BENCHMARKS.md with body (markdown)."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)
    return path


def fmt(x):
    """Human number: 132,879 / 76.0 / 1.69."""
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def ratio_table(values, rows, columns, ref, unit="req/s", higher_is_better=True):
    """Markdown table of values[row][column] with crlf's ratio to each row.

    values: {row: {column: float | None | str}} (a str is shown as is, e.g. "FAIL");
    ref: the row the ratios are taken against (crlf).  Each cell of another row reads
    `38,507 (1.62x)`: crlf's figure divided by this row's (above 1 = crlf ahead when higher is
    better; for times the inverse, so above 1 still means crlf ahead).
    """
    lines = [
        f"| {unit} | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    refrow = values.get(ref, {})
    for row in rows:
        cells = []
        for col in columns:
            v = values.get(row, {}).get(col)
            if v is None:
                cells.append("-")
                continue
            if isinstance(v, str):
                cells.append(v)
                continue
            text = fmt(v)
            r = refrow.get(col)
            if row == ref:
                text = f"**{text}**"
            elif isinstance(r, (int, float)) and v > 0 and r > 0:
                ratio = r / v if higher_is_better else v / r
                text += f" ({ratio:.2f}x)"
            cells.append(text)
        name = f"**{row}**" if row == ref else row
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --- SVG -----------------------------------------------------------------------------------------

CRLF_COLOR = "#d9480f"
PEER_COLOR = "#74839a"
C_COLOR = "#adb5bd"


def _nice_max(v):
    """A round axis maximum >= v (1, 2, 2.5, 5 x 10^k)."""
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def svg_bars(values, rows, columns, title, unit="req/s", highlight=("crlf",), dim=("nginx",),
             panel_w=330, per_row=2):
    """Small multiples: one panel of horizontal bars per column (workload), own scale each.

    Bars of rows starting with a name in `highlight` are drawn in crlf's colour, `dim` rows (the C
    ceiling) in light grey, the rest in slate.  Returns the SVG document as a string.
    """
    bar_h, gap, label_w, value_w, pad = 16, 4, 118, 62, 12
    bar_w = panel_w - label_w - value_w - pad
    shown = {c: [r for r in rows if isinstance(values.get(r, {}).get(c), (int, float))] for c in columns}
    columns = [c for c in columns if shown[c]]
    panel_h = 26 + max((len(shown[c]) for c in columns), default=0) * (bar_h + gap) + 10
    ncols = max(1, min(per_row, len(columns)))
    nrows = max(1, math.ceil(len(columns) / ncols))
    width = ncols * panel_w + pad
    height = 44 + nrows * panel_h + 18
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{pad}" y="22" font-size="15" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, col in enumerate(columns):
        x0 = pad + (i % ncols) * panel_w
        y0 = 44 + (i // ncols) * panel_h
        top = max(values[r][col] for r in shown[col])
        scale = _nice_max(top)
        out.append(f'<text x="{x0}" y="{y0 + 12}" font-size="12" font-weight="bold">'
                   f'{html.escape(col)} <tspan font-weight="normal" fill="#555">({unit})</tspan>'
                   "</text>")
        for j, row in enumerate(shown[col]):
            v = values[row][col]
            y = y0 + 22 + j * (bar_h + gap)
            w = max(1.0, bar_w * v / scale)
            if any(row == h or row.startswith(h + "-") for h in highlight):
                color, weight = CRLF_COLOR, "bold"
            elif row in dim:
                color, weight = C_COLOR, "normal"
            else:
                color, weight = PEER_COLOR, "normal"
            out.append(f'<text x="{x0 + label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" '
                       f'font-weight="{weight}">{html.escape(row)}</text>')
            out.append(f'<rect x="{x0 + label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{color}"><title>{html.escape(row)}: {fmt(v)} {unit}</title></rect>')
            out.append(f'<text x="{x0 + label_w + w + 4:.1f}" y="{y + bar_h - 4}" '
                       f'font-weight="{weight}">{fmt(v)}</text>')
    out.append(f'<text x="{pad}" y="{height - 6}" fill="#555">crlf in orange; '
               "each panel has its own scale; longer is better.</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"

"""Render the Quarto report from the study's results, with Quarto or with Pandoc + Typst.

    python -m analysis.render --out report/_output

The source is ``report/report.qmd``. A build folder receives the source, ``_variables.yml``
(every number, from ``summary.json``), the generated tables (``_tables/*.md``) and the figures.
With ``quarto`` on PATH the build is rendered by Quarto; otherwise the same source is rendered by
Pandoc (``pypandoc-binary``) to self-contained HTML and by Pandoc's Typst writer + Typst
(``typst`` from PyPI) to PDF. For that second path the Quarto features the report uses —
``{{< var >}}``, ``{{< include >}}``, figure/table cross-references, citations — are resolved here.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from analysis import paths, report_values, runs

SOURCE_FILES = ("report.qmd", "references.bib", "_quarto.yml", "style.css")
FIGURE_RE = re.compile(r"!\[(?P<caption>[^\]]*)\]\((?P<path>[^)]+)\)\{#(?P<id>fig-[\w-]+)(?P<rest>[^}]*)\}")
TABLE_CAPTION_RE = re.compile(r"^: (?P<caption>.*?)\s*\{#(?P<id>tbl-[\w-]+)\}\s*$", re.MULTILINE)
VAR_RE = re.compile(r"\{\{<\s*var\s+([\w.]+)\s*>\}\}")
INCLUDE_RE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}\s*$", re.MULTILINE)
XREF_RE = re.compile(r"@((?:fig|tbl)-[\w-]*[\w])")


class RenderError(RuntimeError):
    pass


def prepare(build: Path, study: Path | None = None) -> dict:
    """Fill ``build`` with the report source, variables, tables and figures; return the variables."""
    summary_path = paths.summary_file()
    if not summary_path.exists():
        raise RenderError(f"{summary_path}: not found; run the study first (make report or make smoke)")
    summary = runs.read_json(summary_path)
    build.mkdir(parents=True, exist_ok=True)
    for name in SOURCE_FILES:
        if (paths.REPORT_DIR / name).exists():
            shutil.copyfile(paths.REPORT_DIR / name, build / name)
    qmd = build / "report.qmd"  # dated by its results, for Pandoc and Quarto alike
    qmd.write_text(qmd.read_text().replace("\ndate: today\n", f"\ndate: {report_date()}\n", 1))
    values = report_values.variables(summary)
    (build / "_variables.yml").write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=True))
    (build / "_tables").mkdir(exist_ok=True)
    for name, text in report_values.tables(summary).items():
        (build / "_tables" / f"{name}.md").write_text(text + "\n")
    if (build / "figures").exists():
        shutil.rmtree(build / "figures")
    shutil.copytree(paths.figures_dir(), build / "figures")
    _placeholders(build)
    return values


def _placeholders(build: Path) -> None:
    """A figure the report cites but this study folder has no result for (e.g. the smoke run, which skips
    pre-training) becomes a labelled blank, so the report still renders; its values read "n/a"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in re.findall(r"\]\((figures/[\w.-]+\.png)\)", (build / "report.qmd").read_text()):
        if not (build / name).exists():
            fig, ax = plt.subplots(figsize=(4, 1))
            ax.axis("off")
            ax.text(0.5, 0.5, f"{Path(name).name}: not computed in this study folder", ha="center", va="center")
            fig.savefig(build / name, dpi=100)
            plt.close(fig)


# --------------------------------------------------------------------------- Quarto features
def resolve_includes(text: str, base: Path) -> str:
    def include(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.exists():
            raise RenderError(f"{path}: included file not found (a stage of the study has not run)")
        return path.read_text().rstrip("\n")

    return INCLUDE_RE.sub(include, text)


def resolve_variables(text: str, values: dict) -> str:
    def var(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise RenderError(f"report.qmd: variable '{key}' is not in the study results")
        return str(values[key])

    return VAR_RE.sub(var, text)


def resolve_crossrefs(text: str, label_captions: bool = True) -> str:
    """Number figures and tables in order of appearance; replace @fig-/@tbl- references.

    ``label_captions`` prefixes captions with "Figure N:"; Typst numbers captions itself.
    """
    numbers: dict[str, str] = {}
    for i, match in enumerate(FIGURE_RE.finditer(text), start=1):
        numbers[match.group("id")] = f"Figure {i}"
    for i, match in enumerate(TABLE_CAPTION_RE.finditer(text), start=1):
        numbers[match.group("id")] = f"Table {i}"

    def figure(match: re.Match) -> str:
        label = f"{numbers[match.group('id')]}: " if label_captions else ""
        return f"![{label}{match.group('caption')}]({match.group('path')}){{#{match.group('id')}{match.group('rest')}}}"

    def table_caption(match: re.Match) -> str:
        label = f"{numbers[match.group('id')]}: " if label_captions else ""
        return f": {label}{match.group('caption')} {{#{match.group('id')}}}"

    def xref(match: re.Match) -> str:
        key = match.group(1)
        if key not in numbers:
            raise RenderError(f"report.qmd: cross-reference @{key} points to no figure or table")
        return numbers[key]

    text = FIGURE_RE.sub(figure, text)
    text = TABLE_CAPTION_RE.sub(table_caption, text)
    return XREF_RE.sub(xref, text)


def to_markdown(build: Path, values: dict, label_captions: bool = True) -> str:
    """The report as plain Pandoc Markdown (what Quarto would hand to Pandoc)."""
    text = (build / "report.qmd").read_text()
    text = resolve_includes(text, build)
    text = resolve_variables(text, values)
    return resolve_crossrefs(text, label_captions)


# --------------------------------------------------------------------------- word count
def _body(markdown: str) -> str:
    """The text a reader reads: without front matter, figures, tables, captions, display maths, comments,
    raw layout blocks and the reference list (headings and citations kept)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$(\s*\{#eq-[\w-]+\})?", " ", text, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"^```\{=\w+\}.*?^```", " ", text, flags=re.DOTALL | re.MULTILINE)  # raw typst/html blocks
    text = re.sub(r"^::: *\{#refs\}.*?^:::", " ", text, flags=re.DOTALL | re.MULTILINE)
    return "\n".join(line for line in text.splitlines()
                     if not line.strip().startswith(("![", "|", ": ", ":::", "{{<"))
                     and not re.match(r"^#+\s*References\b", line.strip()))


def main_text(markdown: str) -> str:
    """The main text (``_body``) without citations and attributes, as the first word counter read it."""
    text = re.sub(r"\[@[^\]]*\]|@[\w-]+", " ", _body(markdown))  # citations
    return re.sub(r"\{[^}]*\}", " ", text)  # attributes


def word_count(markdown: str) -> int:
    """Words of the main text without citations: whitespace-separated tokens with a letter or digit."""
    return sum(1 for token in main_text(markdown).split() if re.search(r"\w", token))


WORD_LIMIT = 1500


def printed_text(markdown: str, build: Path) -> str:
    """The main text as a reader sees it: headings and in-text citations as printed ("(Batzner et al. 2022)"),
    without front matter, figures, tables, captions, display maths and the reference list (pandoc, plain text)."""
    source = "---\nsuppress-bibliography: true\n---\n" + _body(markdown)
    result = subprocess.run([_pandoc(), "--from", "markdown", "--to", "plain", "--wrap", "none", "--citeproc",
                             "--bibliography", "references.bib"], input=source, capture_output=True, text=True,
                            cwd=build, check=True)
    return result.stdout


def printed_word_count(markdown: str, build: Path) -> int:
    """Words as any counter finds them (``wc -w``): every whitespace-separated token of ``printed_text``."""
    return len(printed_text(markdown, build).split())


# --------------------------------------------------------------------------- rendering
def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def render_with_pandoc(build: Path, out: Path, values: dict) -> None:
    (build / "report.md").write_text(to_markdown(build, values))
    (build / "report-typst.md").write_text(to_markdown(build, values, label_captions=False))
    pandoc = _pandoc()
    common = ["--from", "markdown", "--citeproc", "--bibliography", "references.bib", "--resource-path", str(build)]
    html = out / "report.html"
    subprocess.run([pandoc, "report.md"] + common + ["--to", "html5", "--standalone", "--embed-resources", "--mathml",
                             "--number-sections", "--css", "style.css", "--output", str(html.resolve())],
                   cwd=build, check=True)
    subprocess.run([pandoc, "report-typst.md"] + common + ["--to", "typst", "--standalone", "--number-sections",
                             "--variable", "papersize=a4", "--variable", "fontsize=10.5pt",
                             "--variable", "margin.x=2.2cm", "--variable", "margin.y=2.2cm",
                             # figures float to the top or bottom of a page, as in a journal (report.qmd flushes
                             # them before the conclusion); tables stay where the text discusses them and may
                             # continue on the next page, so that none leaves half a page empty, their caption kept
                             # with their first rows
                             "--variable", "header-includes=#set figure(placement: auto)\n"
                             "#show figure.where(kind: table): set figure(placement: none)\n"
                             "#show figure.where(kind: table): set block(breakable: true)\n"
                             "#show figure.caption.where(kind: table): it => block(sticky: true, it)",
                             "--output", "report.typ"], cwd=build, check=True)
    import typst

    pdf = out / "report.pdf"
    # the PDF's creation date is that of the results it reports, so the same results give the same bytes
    pdf.write_bytes(typst.compile(str(build / "report.typ"), root=str(build), timestamp=_results_timestamp()))


def report_date() -> str:
    """The report's date (ISO, UTC): the day its results were made (``_results_timestamp``), so the same results
    render the same report on any later day; today where the results carry no date."""
    stamp = _results_timestamp()
    if stamp is None:
        return datetime.date.today().isoformat()
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).date().isoformat()


def _results_timestamp() -> int | None:
    """``SOURCE_DATE_EPOCH`` if set, else when summary.json's results were made (seconds since 1970), else None."""
    import os

    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        created = runs.read_json(paths.summary_file())["provenance"]["created"]
        return int(datetime.datetime.fromisoformat(created).timestamp())
    except (OSError, KeyError, ValueError):
        return None


def render_with_quarto(build: Path, out: Path) -> None:
    for fmt, name in (("html", "report.html"), ("typst", "report.pdf")):
        subprocess.run(["quarto", "render", "report.qmd", "--to", fmt], cwd=build, check=True)
        shutil.copyfile(build / name, out / name)


def render(out: Path, engine: str = "auto") -> dict:
    """Render HTML and PDF into ``out``; return the word count and the engine used."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    build = out.parent / "_build"
    values = prepare(build)
    markdown = to_markdown(build, values)
    words = printed_word_count(markdown, build)
    if words > WORD_LIMIT:  # before anything is written: the committed report stays as it was
        raise RenderError(f"{paths.REPORT_DIR / 'report.qmd'}: {words} words in the main text as printed "
                          f"(headings and citations included) > the limit of {WORD_LIMIT}; shorten the text")
    use_quarto = engine == "quarto" or (engine == "auto" and shutil.which("quarto"))
    if use_quarto:
        render_with_quarto(build, out)
    else:
        render_with_pandoc(build, out, values)
    (out / "report.md").write_text(markdown)
    info = {"engine": "quarto" if use_quarto else "pandoc+typst", "words": words,
            "words_without_citations": word_count(markdown), "word_limit": WORD_LIMIT,
            "word_rule": "main text as printed: headings and in-text citations included; title block, figures, "
                         "tables, captions, display equations and the reference list excluded; wc -w tokens"}
    runs.write_json(out / "render.json", info)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the study report (HTML + PDF).")
    parser.add_argument("--out", type=Path, default=paths.REPORT_DIR / "_output")
    parser.add_argument("--engine", choices=("auto", "quarto", "pandoc"), default="auto")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        info = render(args.out, args.engine)
    except (RenderError, subprocess.CalledProcessError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"rendered {args.out}/report.html and report.pdf with {info['engine']} ({info['words']} words as printed, "
          f"limit {info['word_limit']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

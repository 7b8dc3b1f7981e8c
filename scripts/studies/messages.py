"""What a newcomer reads: the messages the program gives on the public files of issue 35's
second hour (tests/data/SOURCES.md) and on a few files made here for one case each, quoted as
the program prints them. Each row runs one command with the release binary in a scratch folder;
the summary is standard output, notes and errors standard error (both quoted, paths shortened to
the file's name). tests/newcomer.rs and tests/wide.rs hold each message; this doc only quotes.

    scripts/studies/messages.sh      -> docs/messages.md
"""
import os
import shlex
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VANILLA_RNN", os.path.join(ROOT, "target", "release", "vanilla-rnn"))
DATA = os.path.join(ROOT, "tests", "data")


def made(work):
    """The files made here, one case each."""
    files = {
        "five-rows.csv": "month,sales\n" + "".join(f"2000-0{i + 1},{10 + i}\n" for i in range(5)),
        "pandas-index.csv": ",0\n" + "".join(f"{1821 + i},{(i * 37) % 100 + 200}\n" for i in range(60)),
    }
    wide = "\n".join([",".join(f"c{j}" for j in range(5000))] + [",".join(f"{((i * 31 + j * 17) % 97) / 97:.3f}" for j in range(5000)) for i in range(50)])
    files["wide-5000.csv"] = wide + "\n"
    for name, text in files.items():
        with open(os.path.join(work, name), "w") as f:
            f.write(text)


CASES = [
    # (what the newcomer tries, the arguments; {d} the vendored data, {w} the scratch folder)
    ("a category column beside the dates (vega's seattle-weather)", ["train", "--data", "{d}/vega/seattle-weather.csv"]),
    ("the numeric columns, named with a space after a comma", ["train", "--epochs", "1", "--data", "{d}/vega/seattle-weather.csv", "--columns", "precipitation, temp_max,temp_min,wind"]),
    ("names in blocks beside dates written `Jan 1 2000` (vega's stocks)", ["train", "--data", "{d}/vega/stocks.csv"]),
    ("the same, each symbol a series", ["train", "--epochs", "1", "--data", "{d}/vega/stocks.csv", "--series-column", "symbol"]),
    ("countries and continents (plotly's gapminder)", ["train", "--data", "{d}/plotly/gapminder.csv"]),
    ("the continent as the series: each year repeats", ["train", "--data", "{d}/plotly/gapminder.csv", "--series-column", "continent", "--columns", "lifeExp"]),
    ("the country as the series", ["train", "--data", "{d}/plotly/gapminder.csv", "--series-column", "country"]),
    ("the country as the series, one column", ["train", "--epochs", "1", "--data", "{d}/plotly/gapminder.csv", "--series-column", "country", "--columns", "lifeExp"]),
    ("a series asked for in the wrong case", ["forecast", "{w}/run", "--series", "canada"]),
    ("statsmodels' macrodata: year and quarter columns", ["train", "--epochs", "1", "--data", "{d}/macrodata.csv"]),
    ("23 monthly columns (vega's us-employment)", ["train", "--epochs", "1", "--data", "{d}/vega/us-employment.csv"]),
    ("a pandas file whose unnamed index is the year", ["train", "--epochs", "1", "--data", "{w}/pandas-index.csv"]),
    ("five rows", ["train", "--data", "{w}/five-rows.csv"]),
    ("5,000 columns of 50 rows", ["train", "--data", "{w}/wide-5000.csv"]),
    ("a run directory that does not exist", ["forecast", "{w}/nope"]),
]


def shown(text, work):
    lines = [l.replace(work + "/", "").replace(DATA + "/", "") for l in text.strip().splitlines()]
    lines = [l for l in lines if not l.startswith("epoch ")]
    return "<br>".join(code(l) for l in lines)


def code(text):
    """A markdown code span of `text` in a table cell: fenced by two backticks where it holds one."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def main():
    work = tempfile.mkdtemp(prefix="messages-")
    made(work)
    rows = []
    for what, args in CASES:
        argv = [a.format(d=DATA, w=work) for a in args]
        if argv[0] == "train":
            argv += ["--out", os.path.join(work, "run")]
        r = subprocess.run([BIN, *argv], capture_output=True, text=True, cwd=work)
        command = "vanilla-rnn " + shlex.join(a.replace(DATA + "/", "").replace(work + "/", "") for a in argv)
        said = "<br>".join(x for x in [shown(r.stdout, work), shown(r.stderr, work)] if x)
        rows.append(f"| {what} | {code(command)} | {r.returncode} | {said} |")
    head = [
        "# What a newcomer reads",
        "",
        f"Written by `scripts/studies/messages.sh` on {time.strftime('%Y-%m-%d')}: each command run with the release binary, "
        "its standard output then its standard error quoted (the per-epoch progress lines left out, the paths shortened). "
        "The files are the vendored public ones (tests/data/SOURCES.md) and three made by the script for one case each. "
        "The tests (tests/newcomer.rs, tests/wide.rs) hold each message.",
        "",
        "| trying | command | exit | what it says |",
        "|---|---|---|---|",
    ]
    with open(os.path.join(ROOT, "docs", "messages.md"), "w") as f:
        f.write("\n".join(head + rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

"""Record the notebooks' outputs in place: execute each under the offline preset, clean it, write it back.

    python tools/record_notebooks.py [--out DIR] [--timeout 900] [notebooks/01_text_embeddings.ipynb ...]
    make record                       # the same, for all seven notebooks

The committed notebooks carry these outputs so that they read on GitHub, nbviewer and Colab before anyone
runs them. What is written is clean and reproducible:

* no machine paths: the cache becomes ``$EMBEDDINGS_CACHE_DIR``, the photo mirror ``$EMBEDDINGS_IMAGE_MIRROR``,
  the repository root is dropped (paths read relative to it: ``data/notes/...``), installed packages read
  ``site-packages/...``, the temp dir ``$TMPDIR`` (random names: ``tmpXXXXXXXX``), the home folder ``~``,
  the host name ``localhost``; object addresses (``at 0x7f...``) become ``at 0x...``;
* progress bars keep their final state without timings (``photos: 100%|██████████| 38/38``), text bars
  (``\\r`` lines) and tqdm widgets alike; other widget views are dropped (they render as ``VBox(...)``
  outside Jupyter), so is the notebook's widget state;
* figures at ``FIGURE_DPI`` (through ``$EMBEDDINGS_FIGURE_DPI``, read by ``helpers.notebook.setup``); figures of
  photos become JPEG (a fifth of their PNG), plots stay PNG; a warning's ``/tmp/ipykernel_.../....py`` reads ``cell``;
* execution counts run 1, 2, 3...; no timing metadata; each code cell's metadata holds the SHA-256 of the
  source that made its outputs (``execution_source_sha256``: tests/test_notebooks_meta.py fails when a cell
  changed since), and the notebook's metadata names the preset and models (``recorded``).

A notebook whose cell fails (or prints a ``✗`` line: strict checks) is left as it was. Exits non-zero when a
notebook failed or an output still contains a machine path (that notebook is written, and the path printed).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import os
import re
import socket
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from run_notebooks import execute  # tools/ is on the path: this script's folder (the tests add it too)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # helpers, for the preset's models and the cache folder

PRESET = "offline"
FIGURE_DPI = 90
JPEG_QUALITY = 85  # figures of photos: JPEG when it is under half the PNG (plots stay PNG: sharp lines, small)
SOURCE_HASH_KEY = "execution_source_sha256"
RECORD_KEY = "recorded"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
ENV = {  # the offline preset, strict checks (a ✗ line fails the notebook), quiet tokenizers, figure resolution
    "EMBEDDINGS_MODELS": PRESET,
    "EMBEDDINGS_STRICT_CHECKS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "EMBEDDINGS_FIGURE_DPI": str(FIGURE_DPI),
}
# Paths and names of a machine that must never be committed (tests/test_notebooks_meta.py uses the same list).
MACHINE_PATTERNS = [r"/root\b", r"/home/[\w.-]+", r"/Users/[\w.-]+", r"[A-Za-z]:\\+Users", r"/tmp/", r"/work/"]
TQDM_METER = re.compile(r"^(?P<left>.*?\d+%)\|(?P<bar>[^|]*)\|\s*(?P<count>[^\s\[]+)(?:\s*\[[^\]]*\])?\s*$")
WIDGET_REPR = re.compile(r"^\w+\((children|value|description|layout|options|outputs|min|max)=")
ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")
CELL_FILE = re.compile(r"\$TMPDIR/ipykernel_\d+/\d+\.py")  # where a warning raised in a cell says it came from


def source_sha256(source: str) -> str:
    """The hash recorded beside a cell's outputs: SHA-256 of its source as saved (UTF-8)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def stale_cells(nb) -> list[int]:
    """Indices of code cells whose outputs were not recorded from their current source (or not at all)."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and (c.execution_count is None or c.metadata.get(SOURCE_HASH_KEY) != source_sha256(c.source))]


def machine_patterns(root: Path = ROOT) -> list[re.Pattern]:
    """Regexes for machine-specific text: home and temp folders, this repository's absolute path, host name."""
    pats = [re.compile(p) for p in MACHINE_PATTERNS] + [re.compile(re.escape(str(root)))]
    host = socket.gethostname()
    if len(host) >= 4 and host != "localhost":  # shorter names would match ordinary words
        pats.append(re.compile(rf"\b{re.escape(host)}\b"))
    return pats


def output_texts(output) -> list[str]:
    """Every piece of text an output shows (images left out: base64 may contain anything)."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return [output.ename, output.evalue, *output.traceback]
    data = output.get("data", {})
    return [v if isinstance(v, str) else str(v) for k, v in data.items() if not k.startswith("image/")]


def machine_paths(nb, root: Path = ROOT) -> list[str]:
    """``cell N: <match>`` for each machine path or name left in the notebook's outputs."""
    pats = machine_patterns(root)
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            for text in output_texts(out):
                found += [f"cell {i}: {m.group(0)!r} in {text[max(0, m.start() - 40):m.end() + 40]!r}"
                          for p in pats for m in p.finditer(text)]
    return found


# --------------------------------------------------------------------------- scrubbing


def _replacements(root: Path) -> list[tuple[re.Pattern, str]]:
    """(pattern, placeholder), most specific first."""
    from helpers.data import cache_base

    pairs: list[tuple[str, str]] = [(str(cache_base()), "$EMBEDDINGS_CACHE_DIR")]
    if os.environ.get("EMBEDDINGS_IMAGE_MIRROR"):
        pairs.append((os.environ["EMBEDDINGS_IMAGE_MIRROR"], "$EMBEDDINGS_IMAGE_MIRROR"))
    pairs += [(sysconfig.get_paths()[k], "site-packages") for k in ("purelib", "platlib")]
    pairs += [(sysconfig.get_paths()["stdlib"], "python-lib")]
    pairs += [(str(root) + os.sep, ""), (str(root), "."), (tempfile.gettempdir(), "$TMPDIR"),
              (str(Path.home()), "~")]
    variants = []
    for path, placeholder in pairs:
        real = os.path.realpath(path) + (os.sep if path.endswith(os.sep) else "")
        for p in dict.fromkeys([path, real]):
            if p and p not in (os.sep, "."):
                variants.append((p, placeholder))
    variants.sort(key=lambda pair: -len(pair[0]))  # a folder inside another is replaced first
    # a whole path only: not the tail of a longer one, nor the head of a longer name ("/tmp" in "/tmpfoo")
    out = [(re.compile(r"(?<![\w.-])" + re.escape(p) + ("" if p.endswith(os.sep) else r"(?![\w.-])")), r)
           for p, r in variants]
    # tempfile's random names: a prefix ("tmp" or one ending in - or _) and 8 random characters
    out.append((re.compile(r"(\$TMPDIR/(?:tmp|[\w.]*[-_]))[a-z0-9_]{8}(?![\w.-])"), r"\1XXXXXXXX"))
    out.append((re.compile(r"/home/[\w.-]+|/Users/[\w.-]+|[A-Za-z]:\\+Users\\+[\w.-]+"), "~"))
    host = socket.gethostname()
    if len(host) >= 4 and host != "localhost":
        out.append((re.compile(rf"\b{re.escape(host)}\b"), "localhost"))
    out.append((CELL_FILE, "cell"))
    out.append((ADDRESS, "at 0x..."))
    return out


def scrub_text(text: str, replacements: list[tuple[re.Pattern, str]]) -> str:
    for pattern, placeholder in replacements:
        text = pattern.sub(lambda m, r=placeholder: m.expand(r) if "\\1" in r else r, text)
    return text


def tqdm_line(line: str) -> str:
    """A text progress bar's line without its timings: ``photos: 100%|███| 38/38`` (other lines unchanged)."""
    m = TQDM_METER.match(line)
    return f"{m['left']}|{m['bar']}| {m['count']}" if m else line


def final_lines(text: str) -> str:
    """What a terminal shows: for each line, the text after its last carriage return; progress bars untimed."""
    lines = []
    for line in text.split("\n"):
        shown = [part for part in line.split("\r") if part.strip()]
        lines.append(tqdm_line(shown[-1] if shown else ""))
    return "\n".join(lines)


def _widget_state(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def tqdm_widget_text(model_id: str, state: dict) -> str | None:
    """The final line of a tqdm notebook bar from the saved widget state: "" for a bar closed with
    ``leave=False``, None if the model is not a bar."""
    def model(ref):
        return state.get(str(ref).removeprefix("IPY_MODEL_"), {}).get("state", {})

    box = state.get(model_id, {})
    children = box.get("state", {}).get("children", [])
    if box.get("model_name") != "HBoxModel" or len(children) != 3:
        return None
    left, bar, right = (model(c) for c in children)
    if "max" not in bar or "value" not in bar:
        return None
    if model(box["state"].get("layout", "")).get("visibility") == "hidden":
        return ""
    frac = bar["value"] / bar["max"] if bar["max"] else 1.0
    filled = "█" * round(10 * frac)
    line = f"{left.get('value', '')}|{filled:<10}|{right.get('value', '')}"
    return tqdm_line(html.unescape(line).replace("\u2007", " "))


def compact_image(out) -> None:
    """A figure of photos as JPEG when that is under half its PNG (in place); plots and diagrams stay PNG."""
    from PIL import Image

    png = base64.b64decode(out.data["image/png"])
    image = Image.open(io.BytesIO(png))
    rgb = Image.new("RGB", image.size, "white")  # transparent parts on white, as a light page shows them
    rgb.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    if len(buf.getvalue()) < len(png) / 2:
        del out.data["image/png"]
        out.data["image/jpeg"] = base64.b64encode(buf.getvalue()).decode("ascii")
        meta = out.get("metadata", {})
        if "image/png" in meta:
            meta["image/jpeg"] = meta.pop("image/png")


def clean_outputs(outputs: list, state: dict, replacements) -> list:
    cleaned = []
    for out in outputs:
        if out.output_type == "stream":
            if cleaned and cleaned[-1].output_type == "stream" and cleaned[-1].name == out.name:
                cleaned[-1].text += out.text  # one stream output per run of writes, as a reader's frontend shows
            else:
                cleaned.append(out)
            continue
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            text = tqdm_widget_text(data[WIDGET_VIEW].get("model_id", ""), state)
            plain = data.get("text/plain", "")
            data.clear()
            if text:
                data["text/plain"] = text
            elif text is None and plain and not WIDGET_REPR.match(plain):
                data["text/plain"] = plain
            else:
                continue
        cleaned.append(out)
    for out in cleaned:
        if out.output_type == "stream":
            out.text = scrub_text(final_lines(out.text), replacements)
        elif out.output_type == "error":
            out.traceback = [scrub_text(t, replacements) for t in out.traceback]
            out.evalue = scrub_text(out.evalue, replacements)
        else:
            for mime, value in out.get("data", {}).items():
                if isinstance(value, str) and not mime.startswith("image/"):
                    out.data[mime] = scrub_text(value, replacements)
            if "image/png" in out.get("data", {}):
                compact_image(out)
            out.get("metadata", {}).pop("transient", None)
    return [o for o in cleaned if o.output_type != "stream" or o.text.strip()]


def clean(nb, preset_info: dict, root: Path = ROOT) -> None:
    """Make an executed notebook committable, in place (see the module docstring)."""
    replacements = _replacements(root)
    state = _widget_state(nb)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.outputs = clean_outputs(cell.outputs, state, replacements)
        cell.execution_count = count
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = count
        cell.metadata.pop("execution", None)
        cell.metadata[SOURCE_HASH_KEY] = source_sha256(cell.source)
    nb.metadata.pop("widgets", None)
    nb.metadata[RECORD_KEY] = preset_info


def kernel_env() -> dict[str, str]:
    """This process's environment with the offline preset, strict checks, and the inline backend for figures."""
    env = {**os.environ, **ENV}
    env.pop("MPLBACKEND", None)  # Agg (set by the tests) would keep figures out of the outputs
    return env


def preset_info() -> dict:
    """What made the outputs: the preset and its models (as the notebooks' banner names them)."""
    from helpers.availability import PRESETS

    p = PRESETS[PRESET]
    return {"by": "make record (tools/record_notebooks.py)", "preset": p.name, "text": p.text, "image": p.image,
            "clip": p.clip, "figure_dpi": FIGURE_DPI}


def record(nb_path: Path, out_dir: Path | None, timeout: int) -> tuple[float, list[str]]:
    """Execute one notebook and write it, cleaned, to ``out_dir`` (default: back in place).

    Returns (seconds, machine paths left). Raises nbclient's CellExecutionError (or CellTimeoutError,
    DeadKernelError), leaving the file untouched.
    """
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    t0 = time.perf_counter()
    execute(nb, nb_path, timeout, env=kernel_env(), record_timing=False)
    clean(nb, preset_info())
    target = (out_dir or nb_path.parent) / nb_path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    nbformat.write(nb, partial)
    os.replace(partial, target)  # never a half-written notebook
    return time.perf_counter() - t0, machine_paths(nb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="write here instead of back into notebooks/")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = ap.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    failed, total = [], 0
    for p in paths:
        try:
            secs, left = record(p, args.out, args.timeout)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            failed.append(p.name)
            print(f"FAILED  {p.name} (left unchanged): {str(exc).splitlines()[-1] if str(exc) else exc}")
            continue
        size = ((args.out or p.parent) / p.name).stat().st_size
        total += size
        print(f"ok      {p.name:40s} {secs:6.1f} s {size / 1e6:6.2f} MB")
        for hit in left:
            failed.append(p.name)
            print(f"  MACHINE PATH in {p.name} {hit}")
    print(f"total {total / 1e6:.2f} MB written to {args.out or 'notebooks/'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

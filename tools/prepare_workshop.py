"""Prepare a laptop for an offline workshop: fetch every photo and the article's models.

    python tools/prepare_workshop.py            # photos + article models (needs network once)
    python tools/prepare_workshop.py --photos   # photos only

Afterwards the notebooks run with no network: photos come from the verified
cache (data/cache/images), and the `auto` preset finds the article's models in
the Hugging Face and torch caches and picks `article`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's helpers, installed or not

from helpers import data  # noqa: E402
from helpers.availability import PRESETS, article_models_cached  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", action="store_true", help="fetch the photos only")
    args = ap.parse_args(argv)
    paths = data.fetch_all()
    print(f"photos: {len(paths)} verified in {data.cache_dir()}")
    if args.photos:
        return 0
    from helpers import models

    art = PRESETS["article"]
    try:
        models.load_text_encoder(art.text)
        models.load_image_encoder(art.image)
        models.load_clip(art.clip)
    except models.ModelUnavailableError as exc:
        print(f"article models: NOT downloaded - {exc}")
        return 1
    print(f"article models cached: {art.text}, {art.image}, {art.clip} -> {article_models_cached()}")
    print("The offline models (MiniLM, EfficientNet-Lite0) come with their pip packages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

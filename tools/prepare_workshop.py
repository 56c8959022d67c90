"""Prepare a laptop for an offline workshop: fetch every photo (and, when asked, the article's models).

    python tools/prepare_workshop.py              # photos (the default models come with their pip packages)
    python tools/prepare_workshop.py --article    # also DistilBERT, ResNet-18 and OpenAI CLIP (needs network once)

Afterwards the notebooks run with no network: photos come from the verified cache (data/cache/images), and the
default preset's models (MiniLM, EfficientNet-Lite0) are installed by pip. The article's models are used only
when a learner chooses them (EMBEDDINGS_MODELS=article); fetch them for a workshop that plans to.
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
    ap.add_argument("--article", action="store_true",
                    help="also download the article's models (EMBEDDINGS_MODELS=article; needs network once)")
    args = ap.parse_args(argv)
    paths = data.fetch_all()
    print(f"photos: {len(paths)} verified in {data.cache_dir()}")
    print("The default models (MiniLM, EfficientNet-Lite0) come with their pip packages: nothing to download.")
    if not args.article:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

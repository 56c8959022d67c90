"""A photo that cannot be fetched gives one short error naming the photo and both ways out."""
import dataclasses

import pytest

from helpers import data


def test_no_network_and_no_mirror_names_the_photo_and_the_ways_out(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("EMBEDDINGS_IMAGE_MIRROR", raising=False)
    rec = data.records("cats")[0]
    unreachable = dataclasses.replace(rec, url="https://photos.invalid/" + rec.file)
    with pytest.raises(data.PhotoUnavailableError) as err:
        data.fetch(unreachable, progress=False)
    message = str(err.value)
    assert message.startswith(rec.file)
    assert "EMBEDDINGS_IMAGE_MIRROR" in message and "make prepare-workshop" in message
    assert len(message) < 400 and err.value.__cause__ is None and err.value.__suppress_context__
    assert not list(tmp_path.rglob("*.jpg")), "nothing half-written is kept"
    assert unreachable not in data.fetched_records(), "a photo that was never fetched is not credited"


def test_credits_count_every_fetched_photo_once_in_a_line_per_source(capsys):
    from helpers.notebook import photo_credits

    recs = data.records("dogs")[:2]
    for r in recs + recs:
        data.fetch(r, progress=False)
    photo_credits()
    head, *lines = capsys.readouterr().out.splitlines()
    fetched = data.fetched_records()
    assert set(recs) <= set(fetched)
    assert head.startswith(f"Photos in this notebook: {len(fetched)}, ")
    assert sum(int(line.split()[1]) for line in lines) == len(fetched), "every photo counted once"
    assert len(lines) == len({(r.source.split("@")[0], r.license) for r in fetched}), "one line per source"
    for r in fetched:
        if "BY" in r.license:  # licences that require the author's name name it
            assert r.attribution in "\n".join(lines)

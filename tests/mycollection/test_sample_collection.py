"""The sample collection of notebook 06 gives what the notebook's prose describes (its lesson cells check only what
holds for any folder; what is particular to the sample is checked here)."""
import pytest

from helpers.duplicates import calibrate, near_duplicates
from mycollection import index, search_notes, search_photos
from mycollection.sample import NOTE_ANSWERS, PLANTED, calibration_photos, sample_collection
from mycollection.store import index_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        folder = sample_collection(progress=False, fresh_index=True)
        coll = index(folder, progress=False)
        yield folder, coll


def test_a_fresh_index_embeds_every_file(sample):
    folder, coll = sample
    assert len(coll.report.new) == len(coll.photos) + len(coll.notes) and not coll.report.cached
    assert not index(folder, progress=False).report.new
    assert index_dir(folder).is_dir()
    assert sample_collection(progress=False, fresh_index=True) == folder
    assert not index_dir(folder).exists(), "fresh_index forgets the index"


def test_cat_query_finds_cats_first(sample):
    _, coll = sample
    top3 = [h.item.ref.split("/")[0] for h in search_photos(coll, "a photo of a cat", k=3)]
    assert top3 == ["cats"] * 3


def test_the_diary_queries_find_their_note(sample):
    _, coll = sample
    for query, note in NOTE_ANSWERS.items():
        assert search_notes(coll, query, k=1)[0].item.ref == note, query


def test_the_finder_finds_the_planted_copies_and_nothing_else(sample):
    _, coll = sample
    threshold = calibrate(coll.encoders.image.encode, calibration_photos()).threshold
    found = {frozenset((coll.photos[i].ref, coll.photos[j].ref))
             for i, j, _ in near_duplicates(coll.vectors["image"], threshold)}
    assert found == {frozenset((copy, src)) for copy, (src, _) in PLANTED.items()}

"""Beyond one machine: ``index --engine ray`` (Ray Data) and ``--db`` (Milvus) against the default engine.

One scenario with Ray (the issue's 76 photos + a corrupt file + a note, both engines, through the CLI),
then the database on a few photos: same results as exact search, upserts on re-index, renames and
deletions followed, an interrupted sync completed, and the faults named.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from _collection_fixtures import CATS, DOG, fetch, make_folder

from helpers import data
from helpers.availability import IMAGENET_BRIDGE, get_preset
from mycollection import CollectionError, index, search_notes, search_photos, vectordb
from mycollection.cli import main

pytestmark = pytest.mark.slow
RAY_PARTS = ("raylet", "gcs_server", "ray::", "default_worker.py", "dashboard", "log_monitor.py", "monitor.py",
             "runtime_env", "ray/_private")


def ray_processes() -> set[int]:
    """Live processes of a Ray started by THIS process (other people's Rays on the machine are not ours).

    A local Ray names its session after the process that started it (``session_<date>_<time>_<pid>``),
    and every one of its processes carries that name on its command line, even after it has been
    re-parented. A zombie has exited already (pid 1 in a container may never reap it).
    """
    ours = re.compile(rf"session_[0-9_-]+_{os.getpid()}\b")
    pids = set()
    for p in psutil.process_iter(["pid", "name", "cmdline", "status"]):
        if p.info["status"] == psutil.STATUS_ZOMBIE or p.info["pid"] == os.getpid():
            continue
        text = " ".join(p.info["cmdline"] or []) or (p.info["name"] or "")
        if any(part in text for part in RAY_PARTS) and (ours.search(text) or _descends_from_us(p)):
            pids.add(p.info["pid"])
    return pids


def assert_no_ray_left(before: set[int]) -> None:
    """No Ray process of ours beyond ``before``, 20 s after ``ray.shutdown()`` returned (the OS may take a moment)."""
    deadline = time.monotonic() + 20
    while (left := ray_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, [psutil.Process(p).cmdline()[:3] for p in left if psutil.pid_exists(p)]


def _descends_from_us(p: psutil.Process) -> bool:
    try:
        return any(a.pid == os.getpid() for a in p.parents())
    except psutil.Error:
        return False


def seventy_six(root: Path) -> Path:
    """76 registry photos (the cats first) in sub-folders, a corrupt ``broken.jpg`` and a note."""
    recs = sorted(data.records(), key=lambda r: (r.category != "cats", r.file))[:76]
    for r in recs:
        dest = root / r.file
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data.fetch(r, progress=False).read_bytes())
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"not a JPEG after all " * 20)
    (root / "note.txt").write_text("Remember to feed the cat before the trip.", encoding="utf-8")
    return root


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    """The 76-photo folder indexed by the default engine and, into a separate cache, by Ray (+ a Milvus Lite db)."""
    base = tmp_path_factory.mktemp("scale")
    folder = seventy_six(base / "photos")
    db = base / "photos.db"
    before = ray_processes()
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, extra in (("default", []), ("ray", ["--engine", "ray", "--db", db])):
            mp.setenv("EMBEDDINGS_CACHE_DIR", str(base / f"cache-{name}"))
            rc = main(["index", str(folder), "--no-progress", *map(str, extra)])
            coll = index(folder, progress=False)  # the same cache again: loads no model, gives the vectors
            runs[name] = (rc, coll)
        mp.setenv("EMBEDDINGS_CACHE_DIR", str(base / "cache-ray"))
        yield {"folder": folder, "db": db, "runs": runs, "ray_before": before}


def test_ray_engine_reports_the_same_counts_and_names_the_corrupt_file(both_engines):
    (rc_d, default), (rc_r, ray_) = both_engines["runs"]["default"], both_engines["runs"]["ray"]
    assert rc_d == rc_r == 0
    assert default.report.summary() == "0 new, 77 cached, 1 skipped"  # the second look at each cache
    assert ray_.report.summary() == default.report.summary()
    assert [ref for ref, _ in ray_.report.skipped] == ["broken.jpg"]
    assert ray_.report.skipped[0][1].startswith("corrupt")
    assert [it.ref for it in ray_.items] == [it.ref for it in default.items]


def test_ray_vectors_equal_the_default_engines(both_engines):
    default, ray_ = both_engines["runs"]["default"][1], both_engines["runs"]["ray"][1]
    for space in ("image", "clip-image", "text"):
        assert ray_.vectors[space].shape == default.vectors[space].shape
        assert np.abs(ray_.vectors[space] - default.vectors[space]).max() < 1e-4, space


def test_no_ray_process_is_left_running(both_engines):
    assert_no_ray_left(both_engines["ray_before"])


def test_search_in_the_database_puts_cats_first(both_engines, capsys):
    if get_preset().clip != IMAGENET_BRIDGE:
        pytest.skip(f"the preset's CLIP is {get_preset().clip!r}, not the offline bridge: its ranking is not tested")
    rc, out, _ = run_cli(capsys, "search", both_engines["folder"], "a photo of a cat", "-k", "3", "--photos",
                         "--db", both_engines["db"])
    assert rc == 0
    top = [line.split("\t")[0] for line in out.strip().splitlines()]
    assert len(top) == 3 and all("/cats/" in p for p in top), out


def test_ray_address_nobody_answers_fails_fast_and_starts_nothing(both_engines, capsys):
    t = time.perf_counter()
    rc, _, err = run_cli(capsys, "index", both_engines["folder"], "--engine", "ray", "--address", "127.0.0.1:9")
    # the folder is indexed already: nothing to embed, so Ray is never needed; a new photo forces it
    assert rc == 0
    new = both_engines["folder"] / "again.jpg"
    new.write_bytes((both_engines["folder"] / CATS[0]).read_bytes()[:-1] + b"\0")
    try:
        rc, _, err = run_cli(capsys, "index", both_engines["folder"], "--engine", "ray", "--address", "127.0.0.1:9")
    finally:
        new.unlink()
    assert rc == 2 and "127.0.0.1:9" in err and "ray start --head" in err, err
    assert time.perf_counter() - t < 60
    assert not ray_processes() - both_engines["ray_before"]


def test_address_without_ray_engine_is_refused(tmp_path, capsys):
    rc, _, err = run_cli(capsys, "index", tmp_path, "--address", "127.0.0.1:6379")
    assert rc == 2 and "--engine ray" in err


def test_a_local_ray_that_never_starts_is_tried_twice_and_leaves_nothing_running(monkeypatch):
    import subprocess
    import sys

    import ray

    from mycollection.ray_engine import RayEngine

    started = []

    def half_start(**kwargs):  # like a raylet that never comes up: part of Ray runs, then Ray gives up
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]))
        raise Exception("The current node timed out during startup.")

    monkeypatch.setattr(ray, "init", half_start)
    with pytest.raises(CollectionError, match="could not start a local Ray: The current node timed out"):
        RayEngine(num_cpus=1)._start()
    assert len(started) == 2  # one more try after a start-up time-out
    assert all(p.poll() is not None for p in started)  # both half-started "Rays" were stopped


# --- the database, on a few photos with the default engine -------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    base = tmp_path_factory.mktemp("db")
    sources = fetch(CATS + [DOG])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMBEDDINGS_CACHE_DIR", str(base / "cache"))
        folder = base / "photos"
        make_folder(folder, sources, CATS + [DOG])
        (folder / "note.md").write_text("The cat slept on the sofa all afternoon.", encoding="utf-8")
        yield {"folder": folder, "coll": index(folder, progress=False), "base": base}


def stored_keys(db: Path, coll, space: str) -> dict[str, str]:
    client = vectordb.open_db(str(db))
    try:
        return vectordb._stored(client, vectordb.collection_name(coll.folder, space))
    finally:
        client.close()


def test_database_search_gives_the_exact_search_results(small):
    coll, db = small["coll"], str(small["base"] / "same.db")
    assert vectordb.sync(coll, db) == {"image": (3, 0), "clip-image": (3, 0), "text": (1, 0)}
    for query in ("a photo of a cat", "a small dog"):
        exact, milvus = search_photos(coll, query, 3), vectordb.search_photos(coll, query, 3, db)
        assert [h.item.ref for h in milvus] == [h.item.ref for h in exact]
        assert np.allclose([h.score for h in milvus], [h.score for h in exact], atol=1e-4)
    assert [h.item.ref for h in vectordb.search_notes(coll, "sofa", 1, db)] == [h.item.ref for h in
                                                                                search_notes(coll, "sofa", 1)]


def test_reindex_upserts_nothing_and_follows_renames_and_deletions(small):
    folder, db = small["folder"], str(small["base"] / "follow.db")
    coll = index(folder, progress=False)
    vectordb.sync(coll, db)
    assert vectordb.sync(coll, db) == {"image": (0, 0), "clip-image": (0, 0), "text": (0, 0)}
    (folder / "d2l_dog1_pug.jpg").rename(folder / "pug.jpg")
    (folder / "pexels_tabby_cat.jpg").unlink()
    coll = index(folder, progress=False)
    assert coll.report.loaded == []  # a rename and a deletion embed nothing
    assert vectordb.sync(coll, db) == {"image": (1, 1), "clip-image": (1, 1), "text": (0, 0)}
    rows = stored_keys(db, coll, "image")
    assert rows == {it.key: it.ref for it in coll.photos}


def test_an_interrupted_sync_is_completed_by_the_next(small, monkeypatch):
    coll, db = small["coll"], str(small["base"] / "interrupted.db")
    from pymilvus import MilvusClient

    real_upsert, calls = MilvusClient.upsert, []

    def upsert_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the first batch
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(vectordb, "_BATCH", 1)
    monkeypatch.setattr(MilvusClient, "upsert", upsert_then_die)
    with pytest.raises(KeyboardInterrupt):
        vectordb.sync(coll, db)
    monkeypatch.setattr(MilvusClient, "upsert", real_upsert)
    done = vectordb.sync(coll, db)
    assert done["image"] == (2, 0)  # the one photo stored before the interruption is not sent again
    for space, pool in (("image", coll.photos), ("clip-image", coll.photos), ("text", coll.notes)):
        assert stored_keys(db, coll, space) == {it.key: it.ref for it in pool}


def test_a_collection_from_another_model_or_dimension_is_refused(small):
    coll, db = small["coll"], str(small["base"] / "other.db")
    vectordb.sync(coll, db)
    name = vectordb.collection_name(coll.folder, "image")
    client = vectordb.open_db(db)
    meta = {**json.loads(client.describe_collection(name)["properties"][vectordb.META_KEY]), "model": "resnet18"}
    client.alter_collection_properties(name, properties={vectordb.META_KEY: json.dumps(meta)})
    client.close()
    with pytest.raises(vectordb.VectorDBError, match=r"(?s)c_.*_image.*'resnet18'.*another --db"):
        vectordb.sync(coll, db)

    db2 = str(small["base"] / "dim.db")
    client = vectordb.open_db(db2)
    vectordb._create(client, vectordb.collection_name(coll.folder, "clip-image"),
                     {**vectordb._meta(coll, "clip-image", 8)})
    client.close()
    with pytest.raises(vectordb.VectorDBError, match=r"8-d.*but this index uses .*384-d"):
        vectordb.search_photos(coll, "a cat", 3, db2)


@pytest.mark.parametrize("where, words", [
    ("notes.txt", "ending in .db"),
    ("/no/such/folder/photos.db", "does not exist"),
    ("/proc/photos.db", "not writable"),
    ("a-file.db", "is not a Milvus Lite database"),
])
def test_bad_database_paths_are_named(tmp_path, monkeypatch, where, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file.db").write_text("not a database")
    with pytest.raises(vectordb.VectorDBError, match=words) as err:
        vectordb.open_db(where)
    assert where in str(err.value)


def test_an_unreachable_server_fails_fast_with_what_to_do():
    t = time.perf_counter()
    with pytest.raises(CollectionError, match=r"http://127\.0\.0\.1:9.*start it"):
        vectordb.open_db("http://127.0.0.1:9", timeout=2)
    assert time.perf_counter() - t < 15


def test_cli_index_and_search_with_db(small, capsys):
    db = small["base"] / "cli.db"
    rc, out, _ = run_cli(capsys, "index", small["folder"], "--db", db)
    assert rc == 0 and f"database {db}: image" in out
    rc, out, _ = run_cli(capsys, "search", small["folder"], "sofa", "-k", "1", "--notes", "--db", db)
    assert rc == 0 and out.strip().splitlines()[0].split("\t")[0].endswith("note.md"), out
    rc, _, err = run_cli(capsys, "search", small["folder"], "sofa", "--db", small["base"] / "x.txt")
    assert rc == 2 and "ending in .db" in err


def test_an_interrupted_ray_index_shuts_ray_down_and_the_next_run_completes(tmp_path, monkeypatch):
    from mycollection.ray_engine import RayEngine

    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    make_folder(folder, fetch(CATS + [DOG]), CATS + [DOG])
    before, real_collect, calls = ray_processes(), RayEngine._collect, []

    def collect_then_die(batch, job):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second batch comes back
        return real_collect(batch, job)

    import ray

    real_init, inits_off_main = ray.init, []

    def init_spy(*args, **kwargs):  # a Ray thread left running would call ray.init itself (auto-init)
        if threading.current_thread() is not threading.main_thread():
            inits_off_main.append(threading.current_thread().name)
        return real_init(*args, **kwargs)

    monkeypatch.setattr(ray, "init", init_spy)
    monkeypatch.setattr(RayEngine, "_collect", staticmethod(collect_then_die))
    with pytest.raises(KeyboardInterrupt):
        index(folder, progress=False, engine=RayEngine(num_cpus=1, workers=1, batch_size=1))
    assert not ray.is_initialized()
    assert_no_ray_left(before)
    again = index(folder, progress=False)  # the default engine finishes the job
    # whatever the interrupted run had saved is reused, the rest embedded: all three photos, nothing skipped
    assert len(again.report.cached) + len(again.report.new) == 3 and not again.report.skipped, again.report.summary()
    assert len(again.photos) == 3 and np.isfinite(again.vectors["image"]).all()
    assert not list((tmp_path / "cache").rglob(".partial-*"))
    # seconds later, nothing of the interrupted run has started a new Ray (it would end this process)
    restarted = ray.is_initialized()
    if restarted:
        ray.shutdown()  # before failing: a Ray left behind would take the test run down with it
    assert not inits_off_main and not restarted, f"Ray restarted by thread(s) {inits_off_main}"


def test_a_started_engine_shares_its_ray_with_index_and_stop_shuts_it_down(tmp_path, monkeypatch):
    """Notebook 07's path: start() once, Ray code of one's own and index() on that Ray, then stop()."""
    import logging

    import ray
    import ray.data  # configures its loggers on import: the level to come back to is the one after that

    from mycollection.ray_engine import RayEngine

    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    make_folder(folder, fetch(CATS), CATS)
    before, level = ray_processes(), logging.getLogger("ray.data").level
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")  # the learner's own: workers get both, this process keeps its own
    engine = RayEngine(num_cpus=1, workers=1)
    engine.start()
    try:
        assert ray.is_initialized() and engine.startup_s > 0 and os.environ["PYTHONPATH"] == "/elsewhere"
        assert ray.data.from_items([{"x": 1}, {"x": 2}]).map_batches(lambda b: {"y": b["x"] * 2}).sum("y") == 6
        coll = index(folder, progress=False, engine=engine)
        assert len(coll.report.new) == 2 and engine.done == 2
        workers_path = ray.get(ray.remote(lambda: os.environ.get("PYTHONPATH")).remote())
        assert workers_path.split(os.pathsep) == [str(Path(__file__).resolve().parents[2]), "/elsewhere"]
        assert ray.is_initialized(), "index() left the Ray that start() started running"
        assert logging.getLogger("ray.data").level == logging.ERROR, "Ray Data's INFO lines are off while started"
    finally:
        engine.stop()
    assert not ray.is_initialized()
    assert logging.getLogger("ray.data").level == level, "stop() restores the log level"
    assert_no_ray_left(before)

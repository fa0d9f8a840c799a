"""The index on disk: writes, revisions, rebuild swaps, recovery, locking, two processes."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

import kb.search.storage as storage
from kb.search.engine import IndexBusyError, IndexedDoc, SearchIndex


def doc(key: str, body: str = "", *, lang: str = "en", revision: int = 1,
        title: str | None = None) -> IndexedDoc:
    """A small test document."""
    return IndexedDoc(f"{lang}:{key}", key, lang, key, title or f"About {key}", "returning",
                      ("tag",), "A summary.", "Heading", body or f"Body of {key}.", revision)


def found(ix: SearchIndex, query: str, lang: str = "en") -> set[str]:
    """Keys of every hit."""
    return {h.key for h in ix.search(query, lang, limit=100).hits}


def test_status_of_missing_empty_and_new_index(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "nested" / "index")
    assert ix.status() == "missing"
    (tmp_path / "nested" / "index").mkdir(parents=True)
    assert ix.status() == "missing"  # an empty folder holds no index
    assert ix.ensure() == "missing"
    assert ix.status() == "ok" and ix.ensure() == "ok"
    assert ix.search("anything", "en").total == 0 and ix.revisions() == {}


def test_upsert_remove_and_revisions(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.upsert([doc("a", "apples and pears"), doc("b", "bananas"), doc("c", "cherries", lang="fr")])
    assert ix.revisions() == {"en:a": 1, "en:b": 1, "fr:c": 1}
    ix.upsert([doc("a", "oranges now", revision=2)])  # replaces by doc_id
    assert ix.revisions() == {"en:a": 2, "en:b": 1, "fr:c": 1}
    assert found(ix, "apples") == set() and found(ix, "oranges") == {"a"}
    ix.remove(["en:b", "en:unknown"])
    assert ix.revisions() == {"en:a": 2, "fr:c": 1}
    assert found(ix, "bananas") == set()
    ix.upsert([])
    ix.remove([])


def test_an_upsert_is_searchable_as_soon_as_it_returns(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(f"d{i}", f"common words number {i}") for i in range(300))
    assert ix.search("common", "en").total == 300
    ix.upsert([doc("fresh", "zanzibar delivery")])
    assert found(ix, "zanzibar") == {"fresh"}


def test_rebuild_swaps_while_searches_keep_answering(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(f"old{i}", "shared word old") for i in range(30))
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        reader = SearchIndex(tmp_path / "index")  # as another worker would
        while not stop.is_set():
            try:
                totals.append(reader.search("shared", "en").total)
                assert reader.status() == "ok"
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    def slow_docs() -> Iterator[IndexedDoc]:
        for i in range(400):
            if i % 100 == 0:
                time.sleep(0.05)
            yield doc(f"new{i}", "shared word new")

    thread = threading.Thread(target=search)
    thread.start()
    try:
        assert ix.rebuild(slow_docs(), total=400) == 400
        deadline = time.monotonic() + 10
        while (not totals or totals[-1] != 400) and time.monotonic() < deadline and not errors:
            time.sleep(0.01)  # the other "worker" notices the new index on its next search
    finally:
        stop.set()
        thread.join()
    assert not errors
    # Every search saw a whole index, the old one then the new one: never an empty gap.
    assert set(totals) <= {30, 400} and totals[0] == 30 and totals[-1] == 400
    assert found(ix, "old") == set() and len(found(ix, "new")) == 100  # limit 100
    assert not [p for p in tmp_path.iterdir() if p.name != "index" and p.is_dir()]


def test_writes_during_a_rebuild_are_not_lost(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild([doc("gone", "to be removed"), doc("kept", "stays")])

    def docs() -> Iterator[IndexedDoc]:
        yield doc("kept", "stays")
        yield doc("edited", "first version", revision=1)
        # Meanwhile another process publishes an edit and removes an article.
        ix.upsert([doc("edited", "second version", revision=2), doc("added", "brand new")])
        ix.remove(["en:gone"])
        assert found(ix, "second") == {"edited"}  # visible at once in the old index
        yield doc("gone", "to be removed")  # the snapshot read before the removal

    ix.rebuild(docs())
    assert ix.revisions() == {"en:kept": 1, "en:edited": 2, "en:added": 1}
    assert found(ix, "second") == {"edited"} and found(ix, "first") == set()


def test_recovers_from_a_deleted_directory(tmp_path: Path) -> None:
    path = tmp_path / "index"
    ix = SearchIndex(path)
    ix.rebuild([doc("a", "apples")])
    assert found(ix, "apples") == {"a"}
    shutil.rmtree(path)
    assert ix.status() == "missing"
    assert ix.search("apples", "en").total == 0
    assert ix.revisions() == {} and ix.suggest("abo", "en") == []
    ix.upsert([doc("b", "bananas")])  # recreates the index first
    assert ix.status() == "ok" and found(ix, "bananas") == {"b"}


@pytest.mark.parametrize("target", ["toc", "segment", "both"])
@pytest.mark.parametrize("built_by", ["rebuild", "upsert"])
def test_recovers_from_garbage_in_index_files(tmp_path: Path, target: str, built_by: str) -> None:
    path = tmp_path / "index"
    ix = SearchIndex(path)
    docs = [doc(f"d{i}", "apples and pears") for i in range(50)]
    # A rebuild leaves its segment as separate files, an upsert as one compound .seg file.
    ix.rebuild(docs) if built_by == "rebuild" else ix.upsert(docs)
    assert ix.status() == "ok"
    ix.search("apples", "en")  # the check must not rely on a segment it verified before
    for name in os.listdir(path):
        if (target in ("toc", "both") and name.endswith(".toc")) or (
                target in ("segment", "both") and name.startswith("MAIN_")):
            size = (path / name).stat().st_size
            (path / name).write_bytes(os.urandom(max(size, 64)))
    fresh = SearchIndex(path)  # as a process starting now would
    assert fresh.status() == "corrupt" and ix.status() == "corrupt"
    assert fresh.search("apples", "en").total == 0  # no exception
    ix.search("apples", "en")
    assert fresh.ensure() == "corrupt"
    assert fresh.status() == "ok" and ix.status() == "ok"
    assert ix.search("apples", "en").total == 0
    ix.upsert([doc("a", "apples")])
    assert found(fresh, "apples") == {"a"}


def test_a_full_build_leaves_its_segment_as_files_the_workers_share(tmp_path: Path) -> None:
    path = tmp_path / "index"
    ix = SearchIndex(path)
    ix.rebuild(doc(f"d{i}", "apples and pears") for i in range(50))
    names = os.listdir(path)
    # No compound .seg file: whoosh would copy it into every process that reads it.
    assert not [n for n in names if n.endswith(".seg")]
    assert [n for n in names if n.endswith(".pst")] and [n for n in names if n.endswith(".col")]
    assert found(ix, "apples") == {f"d{i}" for i in range(50)}


def test_garbage_in_one_column_file_is_noticed_by_a_process_that_checked_before(
        tmp_path: Path) -> None:
    path = tmp_path / "index"
    ix = SearchIndex(path)
    ix.rebuild(doc(f"d{i}", "apples and pears") for i in range(50))
    assert ix.status() == "ok"
    (stored,) = [n for n in os.listdir(path) if n.endswith("._stored.col")]
    (path / stored).write_bytes(os.urandom((path / stored).stat().st_size))
    assert ix.status() == "corrupt"


def test_a_version_mismatch_reads_as_corrupt(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.ensure()
    (tmp_path / "index" / "KB_SEARCH_SCHEMA").write_text("older")
    assert ix.status() == "corrupt"


def test_a_writer_waits_for_the_lock_then_gives_up(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.ensure()
    lock = FileStorage(str(tmp_path / "index")).lock("MAIN_WRITELOCK")
    assert lock.acquire()
    released = threading.Event()

    def release() -> None:
        released.set()  # set first: once the lock is free the upsert may finish at once
        lock.release()

    threading.Timer(0.4, release).start()
    ix.upsert([doc("a", "waited")])  # retries with back-off until the lock is free
    assert released.is_set()  # it did not write around the lock
    assert found(ix, "waited") == {"a"}
    assert lock.acquire()
    try:
        ix.lock_timeout = 0.3
        with pytest.raises(IndexBusyError):
            ix.upsert([doc("b", "never")])
    finally:
        lock.release()


def test_a_writer_opens_the_index_only_when_no_other_writer_can_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening a whoosh index reads its newest TOC without a lock, and another process's
    # commit deletes that TOC: a writer must not even open the index while another holds
    # the writers' lock beside the folder.
    ix = SearchIndex(tmp_path / "index")
    ix.ensure()
    opened_at: list[bool] = []
    real_opened = storage.opened

    def watched(path: Path) -> object:
        opened_at.append(released.is_set())
        return real_opened(path)

    monkeypatch.setattr(storage, "opened", watched)
    released = threading.Event()
    other_writer = os.open(tmp_path / ".index.write.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other_writer, fcntl.LOCK_EX)

    def release() -> None:
        released.set()
        os.close(other_writer)  # closing the descriptor releases the lock

    threading.Timer(0.4, release).start()
    ix.upsert([doc("a", "waited")])
    assert opened_at and all(opened_at)  # nothing was opened while the other writer held it
    assert found(ix, "waited") == {"a"}


def _upsert_many(path: str, prefix: str, go: object) -> None:
    index = SearchIndex(path)
    go.wait()  # type: ignore[attr-defined]
    for i in range(50):
        index.upsert([doc(f"{prefix}{i}", f"concurrent {prefix} writes number {i}")])


@pytest.mark.slow
def test_two_processes_upserting_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "index"
    SearchIndex(path).ensure()
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_upsert_many, args=(str(path), p, go)) for p in ("x", "y")]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    ix = SearchIndex(path)
    assert len(ix.revisions()) == 100
    result = ix.search("concurrent", "en", limit=100)
    assert result.total == 100 and len(result.hits) == 100
    assert ix.status() == "ok"


def test_threads_search_while_another_writes(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(f"d{i}", f"parcel refund label number {i}") for i in range(200))
    errors: list[BaseException] = []
    done = threading.Event()

    def search(words: str) -> None:
        while not done.is_set():
            try:
                result = ix.search(words, "en", limit=5)
                assert result.total >= 200 and len(result.hits) == 5
                assert ix.suggest("about d1", "en")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=search, args=(w,))
               for w in ("parcel", "refund label", "lable", '"refund label"')]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            ix.upsert([doc(f"w{i}", f"parcel written while searching {i}")])
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not errors
    assert ix.search("written", "en").total == 20


def test_a_rebuild_keeps_the_folders_placeholder_file(tmp_path: Path) -> None:
    folder = tmp_path / "search_index"
    folder.mkdir()
    (folder / ".gitkeep").touch()
    ix = SearchIndex(folder)
    ix.rebuild(doc(f"a{i}", "parcel") for i in range(3))
    ix.rebuild(doc(f"b{i}", "parcel") for i in range(3))
    assert (folder / ".gitkeep").exists()
    assert ix.search("parcel", "en").total == 3


def test_the_index_side_files_in_the_checkout_are_ignored_by_git() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    for name in (".search_index.create.lock", ".search_index.rebuild.lock", ".search_index.journal"):
        result = subprocess.run(["git", "check-ignore", "-q", name], cwd=root, capture_output=True)
        assert result.returncode == 0, name


def _rebuild_until_killed(path: str, started: object) -> None:
    def docs() -> Iterator[IndexedDoc]:
        for i in range(50):
            yield doc(f"k{i}", "half written")
        started.set()  # type: ignore[attr-defined]
        time.sleep(600)  # killed here, its build folder half written beside the index
    SearchIndex(path).rebuild(docs())


def test_a_rebuild_removes_the_folders_a_killed_rebuild_left(tmp_path: Path) -> None:
    path = tmp_path / "index"
    SearchIndex(path).rebuild(doc(f"a{i}", "parcel") for i in range(3))
    ctx = multiprocessing.get_context("spawn")
    started = ctx.Event()
    proc = ctx.Process(target=_rebuild_until_killed, args=(str(path), started))
    proc.start()
    assert started.wait(60)
    proc.kill()
    proc.join(60)
    left = sorted(p.name for p in tmp_path.glob(".index.build-*"))
    assert len(left) == 1
    (tmp_path / ".index.old-0123456789ab").mkdir()  # a swap killed before its clean-up
    (tmp_path / ".other.build-0123456789ab").mkdir()  # another index's: not ours to touch
    (tmp_path / ".index.build-notes.txt").write_text("a file, not a build folder")

    ix = SearchIndex(path)
    assert ix.rebuild(doc(f"b{i}", "parcel") for i in range(4)) == 4
    assert not list(tmp_path.glob(".index.build-*/")) and not list(tmp_path.glob(".index.old-*"))
    assert (tmp_path / ".other.build-0123456789ab").is_dir()
    assert (tmp_path / ".index.build-notes.txt").is_file()
    assert ix.search("parcel", "en").total == 4 and ix.status() == "ok"

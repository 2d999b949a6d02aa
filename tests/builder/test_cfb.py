"""The compound file writer, read back by olefile: contents, sector chains, directory trees."""

from __future__ import annotations

import io
import random

import olefile
import pytest

from salesbook.builder.cfb import MINI_CUTOFF, NOSTREAM, Storage, write_compound_file


def _tree(n_streams: int, seed: int) -> Storage:
    rng = random.Random(seed)
    sizes = [0, 1, 63, 64, 65, MINI_CUTOFF - 1, MINI_CUTOFF, MINI_CUTOFF + 1, 20000]
    inner = Storage({f"S{i}_{'x' * rng.randrange(8)}": rng.randbytes(rng.choice(sizes)) for i in range(n_streams)})
    return Storage({"PROJECT": rng.randbytes(700), "VBA": inner, "Empty": Storage()})


def _walk(storage: Storage, prefix=()):
    for name, node in storage.entries.items():
        if isinstance(node, Storage):
            yield from _walk(node, prefix + (name,))
        else:
            yield prefix + (name,), node


@pytest.mark.parametrize("n_streams,seed", [(1, 1), (2, 2), (3, 3), (7, 4), (12, 5), (40, 6)])
def test_olefile_reads_back_every_stream(n_streams, seed):
    tree = _tree(n_streams, seed)
    data = write_compound_file(tree)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.parsing_issues == []
    expected = dict(_walk(tree))
    assert {tuple(e) for e in ole.listdir(streams=True, storages=False)} == set(expected)
    for path, content in expected.items():
        assert ole.openstream("/".join(path)).read() == content
    assert ole.get_type("Empty") == olefile.STGTY_STORAGE


def _cfb_key(name: str):
    return len(name), name.upper()


@pytest.mark.parametrize("n_streams", [1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 40])
def test_directory_trees_are_sorted_red_black_trees(n_streams):
    ole = olefile.OleFileIO(io.BytesIO(write_compound_file(_tree(n_streams, n_streams))))
    entries = ole.direntries

    def check(sid, low, high):
        """Returns the black height; asserts search order and the red rules."""
        if sid == NOSTREAM:
            return 0
        e = entries[sid]
        key = _cfb_key(e.name)
        assert (low is None or low < key) and (high is None or key < high)
        for child in (e.sid_left, e.sid_right):
            if e.color == 0 and child != NOSTREAM:
                assert entries[child].color == 1, "red node with a red child"
        left = check(e.sid_left, low, key)
        right = check(e.sid_right, key, high)
        assert left == right, "unequal black heights"
        return left + (e.color == 1)

    for e in entries:
        if e is not None and e.sid_child != NOSTREAM:
            assert entries[e.sid_child].color == 1, "root of a storage's tree must be black"
            check(e.sid_child, None, None)


def test_same_tree_same_bytes_and_no_timestamps():
    a = write_compound_file(_tree(12, 9))
    assert a == write_compound_file(_tree(12, 9))
    ole = olefile.OleFileIO(io.BytesIO(a))
    assert all(e.createTime == 0 and e.modifyTime == 0 for e in ole.direntries if e is not None)


def test_rejects_names_cfb_cannot_hold():
    with pytest.raises(ValueError):
        write_compound_file(Storage({"x" * 32: b""}))
    with pytest.raises(ValueError):
        write_compound_file(Storage({"a/b": b""}))

"""MS-OVBA compression, checked against two independent decompressors (olevba, pyopenvba)."""

from __future__ import annotations

import random

import pytest
from oletools.olevba import decompress_stream
from pyopenvba.vba import decompress as pyopenvba_decompress

from salesbook.builder.compression import CHUNK_SIZE, compress, decompress

from .paths import MACROS


def _samples() -> dict[str, bytes]:
    rng = random.Random(1234)
    long_module = b"".join(p.read_bytes() for p in sorted(MACROS.glob("*.bas")) + sorted(MACROS.glob("*.cls")))
    return {
        "empty": b"",
        "one byte": b"a",
        "long modules": long_module,
        "long modules x3": long_module * 3,
        "chunk - 1": long_module[: CHUNK_SIZE - 1],
        "chunk": long_module[:CHUNK_SIZE],
        "chunk + 1": long_module[: CHUNK_SIZE + 1],
        "random full chunks": bytes(rng.randrange(256) for _ in range(3 * CHUNK_SIZE)),
        "random then text": bytes(rng.randrange(256) for _ in range(CHUNK_SIZE)) + long_module[:5000],
        "runs": b" " * 10000 + b"ab" * 3000,
        "all bytes": bytes(range(256)) * 40,
    }


@pytest.mark.parametrize("name", list(_samples()))
def test_round_trip_through_independent_decompressors(name):
    data = _samples()[name]
    packed = compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert pyopenvba_decompress(packed) == data
    assert decompress(packed) == data


def test_text_is_actually_compressed():
    text = (MACROS / "xlwings.bas").read_bytes()
    assert len(compress(text)) < len(text) // 2


def test_incompressible_chunks_are_stored_raw():
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(2 * CHUNK_SIZE))
    packed = compress(data)
    assert len(packed) == 1 + 2 * (2 + CHUNK_SIZE)
    assert packed[1:3] == (0x3FFF).to_bytes(2, "little")   # raw chunk header

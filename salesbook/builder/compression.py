"""MS-OVBA 2.4.1 compression (the LZ77 variant VBA uses for source and dir streams).

Follows the spec's compression algorithm (2.4.1.3.6-2.4.1.3.19) with the spec's
matching rule: at each position the longest earlier match wins and, among equal
lengths, the nearest one. The output is a pure function of the input.
"""

from __future__ import annotations

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011 << 12


def _copy_token_help(difference: int) -> tuple[int, int]:
    """Return (bit_count, maximum_length) for a position `difference` bytes into its chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_tokens(chunk: bytes) -> bytes:
    """Token sequences for one decompressed chunk (without the chunk header)."""
    out = bytearray()
    # positions of each 3-byte prefix, nearest last: a match of length >= 3 must start with it
    starts: dict[bytes, list[int]] = {}
    pos, end = 0, len(chunk)
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len, best_off = 0, 0
            if pos > 0 and pos + 3 <= end:
                _, max_len = _copy_token_help(pos)
                limit = min(max_len, end - pos)
                for cand in reversed(starts.get(chunk[pos:pos + 3], ())):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count, _ = _copy_token_help(pos)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, pos + step):
                if p + 3 <= end:
                    starts.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress `data` into an MS-OVBA CompressedContainer."""
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        chunk = data[start:start + CHUNK_SIZE]
        tokens = _compress_tokens(chunk)
        if len(tokens) <= CHUNK_SIZE:
            out += (0x8000 | _CHUNK_SIGNATURE | (len(tokens) + 2 - 3)).to_bytes(2, "little")
            out += tokens
        elif len(chunk) == CHUNK_SIZE:
            # incompressible full chunk: stored raw (CompressedChunkFlag 0)
            out += (_CHUNK_SIGNATURE | (CHUNK_SIZE + 2 - 3)).to_bytes(2, "little")
            out += chunk
        else:
            # A raw chunk is always 4096 bytes; padding a short last chunk would change the data.
            raise ValueError("incompressible final chunk cannot be stored without altering the data")
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (used to self-check `compress`)."""
    if not container or container[0] != _SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(container):
        header = int.from_bytes(container[pos:pos + 2], "little")
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at offset {pos}")
        size = (header & 0x0FFF) + 3
        body = container[pos + 2:pos + size]
        pos += size
        chunk_start = len(out)
        if not header & 0x8000:
            out += body
            continue
        i = 0
        while i < len(body):
            flags = body[i]
            i += 1
            for bit in range(8):
                if i >= len(body):
                    break
                if flags & (1 << bit):
                    token = int.from_bytes(body[i:i + 2], "little")
                    i += 2
                    bit_count, _ = _copy_token_help(len(out) - chunk_start)
                    length = (token & (0xFFFF >> bit_count)) + 3
                    offset = (token >> (16 - bit_count)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(body[i])
                    i += 1
    return bytes(out)

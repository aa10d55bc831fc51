"""The bulk body, parsed while it arrives: a JSON array (streamed by ijson) or NDJSON.

Decoding the whole body first let a 20 MiB body of tiny items become a million Python
objects (+500 MB) before the item cap was checked. Here each event is decoded as its bytes
arrive, the count is checked as it goes, and the request fails at the first item over the
cap without reading the rest. Nesting is no hazard either: ijson builds objects without
recursion, and an NDJSON line too deep for msgspec rejects only itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ijson
import msgspec

from app.domain.errors import InvalidInput
from app.domain.leads.bulk import MAX_BULK_EVENTS

NOT_AN_OBJECT = object()  # an NDJSON line that is not JSON: rejected by the intake
_TOO_MANY = f"At most {MAX_BULK_EVENTS} events per request; split the import."


class _ChunkReader:
    """An async file over the request's chunks, for ijson (which calls `read`)."""

    def __init__(self, first: bytes, rest: AsyncIterator[bytes]) -> None:
        self._pending = first
        self._rest = rest

    async def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0) whether the file gives bytes or str
            return b""
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        return await anext(self._rest, b"")  # b"": the end (Litestar's stream ends with one too)


def _counted(items: list[Any]) -> None:
    if len(items) > MAX_BULK_EVENTS:
        raise InvalidInput(_TOO_MANY, "events")


async def parse_events(chunks: AsyncIterator[bytes], content_type: str) -> list[Any]:
    """Events from a JSON array, or one JSON object per line (NDJSON)."""
    first = b""
    async for chunk in chunks:  # skip leading whitespace, however long
        first = chunk.lstrip()
        if first:
            break
    if not first:
        raise InvalidInput("The body is empty; send a JSON array or NDJSON of events.", "events")
    if "ndjson" not in content_type and first.startswith(b"["):
        return await _array(_ChunkReader(first, chunks))
    return await _lines(first, chunks)


async def _array(reader: _ChunkReader) -> list[Any]:
    items: list[Any] = []
    try:
        async for item in ijson.items(reader, "item", use_float=True):
            items.append(item)
            _counted(items)
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__  # not yajl's excerpt
        raise InvalidInput(f"The body is not valid JSON: {reason}.", "events") from None
    return items


async def _lines(first: bytes, chunks: AsyncIterator[bytes]) -> list[Any]:
    items: list[Any] = []
    buffer = bytearray(first)  # one chunk and the start of a line: appended, never re-copied

    def take(line: bytes | bytearray) -> None:
        if not line.strip():
            return
        try:
            items.append(msgspec.json.decode(line))
        except (msgspec.DecodeError, RecursionError):
            items.append(NOT_AN_OBJECT)
        _counted(items)

    while True:
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            take(buffer[start:end])
            start = end + 1
        del buffer[:start]
        chunk = await anext(chunks, b"")
        if not chunk:
            break
        buffer += chunk
    take(buffer)
    return items

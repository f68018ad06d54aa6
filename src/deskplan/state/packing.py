"""Stored JSON, compressed: raw records and canonical tickets are kept as zlib streams primed with
a dictionary learned from the helpdesk's own data, which shrinks them four to ten times (a
ticket event of 300 bytes to about 60). Owns the table `packing_dictionaries`.

Each (source, kind) gets one dictionary, made once from the first batch stored of that kind
(the last DICTIONARY_SIZE bytes of its JSON: deflate finds repeated keys, names and phrasing
there) and never changed, since every value packed with it needs it to be read. A packed value
is a BLOB: the byte MAGIC, the dictionary's id (0: none) as two bytes, then raw deflate. A TEXT
value is JSON as it was stored before packing existed, read as it is.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import sqlite_utils

MAGIC = b"Z"
DICTIONARY_SIZE = 8192          # deflate's window here is 8 kB: more of a dictionary would not be seen
WBITS = -13                     # raw deflate, 8 kB window: small values, cheap to set up
MEM_LEVEL = 5
LEVEL = 6
MIN_SAMPLE = 2048               # a batch with less JSON than this teaches nothing yet


class Packer:
    """Packs and unpacks stored JSON for one connection; dictionaries are read once and kept."""

    def __init__(self, db: sqlite_utils.Database):
        self.conn = db.conn
        self._by_id: dict[int, bytes] = {}      # a dictionary never changes once made

    def _dictionary(self, source: str, kind: str, samples: Sequence[str]) -> tuple[int, bytes]:
        # Looked up in the state every time (one query a batch), not only in memory: a dictionary
        # made in a transaction that was rolled back is gone, and nothing may be packed with it.
        row = self.conn.execute("SELECT id FROM packing_dictionaries WHERE source = ? AND kind = ?",
                                [source, kind]).fetchone()
        if row is None:
            sample = "".join(samples).encode()
            if len(sample) < MIN_SAMPLE:
                return 0, b""
            cursor = self.conn.execute("INSERT INTO packing_dictionaries (source, kind, dictionary) VALUES (?, ?, ?)",
                                       [source, kind, sample[-DICTIONARY_SIZE:]])
            self._by_id[int(cursor.lastrowid or 0)] = sample[-DICTIONARY_SIZE:]
            row = (cursor.lastrowid,)
        return int(row[0]), self._read(int(row[0]))

    def _read(self, dict_id: int) -> bytes:
        dictionary = self._by_id.get(dict_id)
        if dictionary is None:
            row = self.conn.execute("SELECT dictionary FROM packing_dictionaries WHERE id = ?", [dict_id]).fetchone()
            dictionary = self._by_id[dict_id] = bytes(row[0])
        return dictionary

    def pack_all(self, source: str, kind: str, texts: Sequence[str]) -> list[bytes]:
        """`texts` (JSON of one kind) packed, with the kind's dictionary (made from them if it has none)."""
        dict_id, dictionary = self._dictionary(source, kind, texts)
        header = MAGIC + dict_id.to_bytes(2, "big")
        packed = []
        for text in texts:
            if dictionary:
                compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, WBITS, MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                                              dictionary)
            else:
                compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, WBITS, MEM_LEVEL)
            packed.append(header + compressor.compress(text.encode()) + compressor.flush())
        return packed

    def pack_each(self, kinds: Sequence[tuple[str, str]], texts: Sequence[str]) -> list[bytes]:
        """Each of `texts` packed with the dictionary of its (source, kind) in `kinds`, in order;
        each dictionary missing is made from the texts of its own (source, kind)."""
        by_kind: dict[tuple[str, str], list[int]] = {}
        for index, key in enumerate(kinds):
            by_kind.setdefault(key, []).append(index)
        packed = [b""] * len(texts)
        for (source, kind), indexes in by_kind.items():
            for index, blob in zip(indexes, self.pack_all(source, kind, [texts[i] for i in indexes]), strict=True):
                packed[index] = blob
        return packed

    def unpack(self, value: str | bytes) -> str:
        """The JSON a stored value holds, packed or not."""
        if isinstance(value, str):
            return value
        dict_id = int.from_bytes(value[1:3], "big")
        if dict_id:
            decompressor = zlib.decompressobj(WBITS, self._read(dict_id))
        else:
            decompressor = zlib.decompressobj(WBITS)
        return (decompressor.decompress(value[3:]) + decompressor.flush()).decode()

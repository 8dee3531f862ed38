"""Test helper: write a small Outlook .msg file (an OLE compound file holding MAPI property streams).

kexie_xl only reads .msg (through extract-msg); nothing on PyPI writes them, so the tests make their own: a
minimal compound-file writer (version 3, 512-byte sectors, mini stream for streams under 4 KiB) and the .msg
layout of [MS-OXMSG] — the property streams, subject, body, transport headers and one attachment by value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR, MINI, CUTOFF = 512, 64, 4096


@dataclass
class Node:
    name: str
    data: bytes | None = None  # None: a storage
    children: list[Node] = field(default_factory=list)


def compound_file(root_children: list[Node]) -> bytes:
    root = Node("Root Entry", None, root_children)
    entries: list[Node] = []

    def walk(node: Node) -> None:
        entries.append(node)
        for child in node.children:
            walk(child)

    walk(root)
    ids = {id(n): i for i, n in enumerate(entries)}
    # small streams into the mini stream, big ones into sectors
    mini, mini_fat, big = bytearray(), [], []
    starts: dict[int, tuple[int, int]] = {}  # entry id -> (start, size)
    for n in entries:
        if n.data is None:
            continue
        size = len(n.data)
        if size == 0:
            starts[ids[id(n)]] = (END, 0)
        elif size < CUTOFF:
            first = len(mini) // MINI
            count = -(-size // MINI)
            mini += n.data + b"\0" * (count * MINI - size)
            mini_fat += [first + k + 1 for k in range(count - 1)] + [END]
            starts[ids[id(n)]] = (first, size)
        else:
            big.append((ids[id(n)], n.data))
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        count = -(-len(data) // SECTOR)
        padded = data + b"\0" * (count * SECTOR - len(data))
        for k in range(count):
            sectors.append(padded[k * SECTOR : (k + 1) * SECTOR])
            fat.append(first + k + 1 if k < count - 1 else END)
        return first

    for entry_id, data in big:
        starts[entry_id] = (chain(data), len(data))
    mini_start = chain(bytes(mini))
    minifat_bytes = b"".join(struct.pack("<I", v) for v in mini_fat)
    minifat_bytes += struct.pack("<I", FREE) * ((-len(mini_fat)) % 128)
    minifat_start = chain(minifat_bytes) if mini_fat else END
    directory = b"".join(_entry(n, i, entries, ids, starts, mini_start, len(mini)) for i, n in enumerate(entries))
    directory += _empty_entry() * ((-len(entries)) % 4)
    dir_start = chain(directory)
    # FAT sectors go last; they describe themselves as FATSECT
    n_fat = 1
    while len(fat) + n_fat > n_fat * 128:
        n_fat += 1
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREE] * (n_fat * 128 - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    sectors += [fat_bytes[k * SECTOR : (k + 1) * SECTOR] for k in range(n_fat)]
    difat = [fat_start + k for k in range(n_fat)] + [FREE] * (109 - n_fat)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack(
            "<IIIIIIIII", 0, n_fat, dir_start, 0, CUTOFF, minifat_start, len(minifat_bytes) // SECTOR if mini_fat else 0, END, 0
        )
        + b"".join(struct.pack("<I", v) for v in difat)
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _entry(
    node: Node,
    index: int,
    entries: list[Node],
    ids: dict[int, int],
    starts: dict[int, tuple[int, int]],
    mini_start: int,
    mini_size: int,
) -> bytes:
    name = node.name.encode("utf-16-le") + b"\0\0"
    kind = 5 if index == 0 else (1 if node.data is None else 2)
    child = ids[id(node.children[0])] if node.children else NOSTREAM
    right = NOSTREAM
    for parent in entries:  # siblings form a right-leaning chain (readers do not check the tree's balance)
        if node in parent.children:
            pos = parent.children.index(node)
            if pos + 1 < len(parent.children):
                right = ids[id(parent.children[pos + 1])]
    if index == 0:
        start, size = (mini_start if mini_size else END), mini_size
    elif node.data is None:
        start, size = 0, 0
    else:
        start, size = starts[index]
    return (
        name
        + b"\0" * (64 - len(name))
        + struct.pack("<HBB", len(name), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def _empty_entry() -> bytes:
    return (
        b"\0" * 64
        + struct.pack("<HBB", 0, 0, 0)
        + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
        + b"\0" * 16
        + b"\0" * 4
        + b"\0" * 16
        + struct.pack("<IQ", 0, 0)
    )


# [MS-OXMSG]


def _unicode(tag: int, text: str) -> tuple[Node, bytes]:
    data = text.encode("utf-16-le")
    return Node(f"__substg1.0_{tag:08X}", data), struct.pack("<IIII", tag, 6, len(data) + 2, 0)


def _binary(tag: int, data: bytes) -> tuple[Node, bytes]:
    return Node(f"__substg1.0_{tag:08X}", data), struct.pack("<IIII", tag, 6, len(data), 0)


def _long(tag: int, value: int) -> bytes:
    return struct.pack("<IIiI", tag, 6, value, 0)


def outlook_msg(
    *, subject: str, sender: str, sender_name: str, date: str, body: str, attachment: tuple[str, bytes] | None
) -> bytes:
    headers = f"From: {sender_name} <{sender}>\r\nSubject: {subject}\r\nDate: {date}\r\n\r\n"
    streams, props = [], []
    for tag, text in (
        (0x001A001F, "IPM.Note"),
        (0x0037001F, subject),
        (0x1000001F, body),
        (0x0C1A001F, sender_name),
        (0x0C1F001F, sender),
        (0x007D001F, headers),
    ):
        node, prop = _unicode(tag, text)
        streams.append(node)
        props.append(prop)
    children = list(streams)
    if attachment is not None:
        name, data = attachment
        a_streams, a_props = [], [_long(0x37050003, 1), _long(0x0E210003, 0)]
        for node, prop in (_unicode(0x3707001F, name), _unicode(0x3704001F, name[:8]), _binary(0x37010102, data)):
            a_streams.append(node)
            a_props.append(prop)
        a_props_stream = Node("__properties_version1.0", b"\0" * 8 + b"".join(a_props))
        children.append(Node("__attach_version1.0_#00000000", None, [*a_streams, a_props_stream]))
    children.append(
        Node(
            "__nameid_version1.0",
            None,
            [Node("__substg1.0_00020102", b""), Node("__substg1.0_00030102", b""), Node("__substg1.0_00040102", b"")],
        )
    )
    count = 1 if attachment else 0
    top = struct.pack("<QIIII", 0, 0, count, 0, count) + b"\0" * 8 + b"".join(props)
    children.append(Node("__properties_version1.0", top))
    return compound_file(children)

"""Text from task authors (container and interface names, reasons quoting them) made visible.

`ip -j` passes control bytes in interface names through, and a name may hold bidi overrides
(U+202E) that reorder what a reader sees. Every renderer shows such characters as escapes
(`\\x1b`, `\\u202e`), so an HTML page, an XML file or a terminal shows what is really there.
"""

import unicodedata
from typing import Any

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def visible(value: Any) -> str:
    """`value` as text, every control / format / unassigned character escaped (not removed)."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char == " " or unicodedata.category(char) not in _HIDDEN:
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)


def visible_lines(value: Any) -> str:
    """`visible`, line by line: a line break stays a line break (a multi-line cause, e.g. an
    error's stderr, reads as lines); every other control character is still escaped."""
    text = "" if value is None else str(value)
    return "\n".join(visible(line) for line in text.replace("\r\n", "\n").split("\n"))

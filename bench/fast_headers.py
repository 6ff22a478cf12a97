"""A faster ``http.client.parse_headers`` for well-formed header blocks, for the bench's load
generator only (its own process; the hub's processes use the standard library's).

The standard library reads the header lines, then hands them to the ``email`` package's feed parser,
which is general (folded lines, mbox ``From`` lines, defects) and slow (figures in
docs/capacity.md). :func:`install` replaces it with :func:`parse_headers`: the same line reading and
limits, and for a block of plain ``name: value`` lines the same ``HTTPMessage`` the feed parser
would build (tested against it, property-based). Any other block (a folded line, an odd character, a
line that is not a field, a block cut short) goes to the feed parser as before, so nothing unusual
is parsed differently."""

from __future__ import annotations

import email.parser
import http.client
import inspect
import re
from typing import Any

_ORIGINAL = http.client.parse_headers
# A field name (RFC 9110 token), the colon, blanks, then a value without any character the feed
# parser would take as a line break; the line ends with CRLF or LF.
_FIELD = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n\x0b\x0c\x1c\x1d\x1e\x85]*)\r?\n")


def parse_headers(fp: Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage) -> Any:
    """``http.client.parse_headers``, without the feed parser for plain blocks."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]  # the limits, as before
    decoded = [line.decode("iso-8859-1") for line in lines]
    if decoded[-1] in ("\r\n", "\n"):
        fields = []
        for line in decoded[:-1]:
            match = _FIELD.fullmatch(line)
            if match is None:
                break
            fields.append(match.groups())
        else:
            message = _class()
            for name, value in fields:
                message.set_raw(name, value)
            message.set_payload("")
            return message
    return email.parser.Parser(_class=_class).parsestr("".join(decoded))


def install() -> bool:
    """Make :func:`parse_headers` the one ``http.client`` calls; whether it did.

    NOTE: it relies on the private ``http.client._read_headers(fp)`` and on ``parse_headers(fp,
    _class)``; where either differs (another Python), the standard library's stays."""
    reader = getattr(http.client, "_read_headers", None)
    if reader is None or list(inspect.signature(reader).parameters) != ["fp"]:
        return False
    if list(inspect.signature(_ORIGINAL).parameters) != ["fp", "_class"]:
        return False
    http.client.parse_headers = parse_headers  # type: ignore[assignment]
    return True

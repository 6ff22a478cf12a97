"""Garbage in, a VerifyError out: no parser lets IndexError, UnicodeError or the like escape."""

import contextlib
from collections.abc import Callable

import pytest
from hub_verify import note, policy, proof, tiles
from hub_verify.checkpoint import parse_checkpoint
from hub_verify.errors import VerifyError
from hypothesis import given, settings
from hypothesis import strategies as st

# Text near the formats (their alphabet and separators) finds more corners than random bytes.
NEAR = st.text(alphabet="\n \u2014+/=0123456789abcdefxAEp.-#\ttilecsoghnrquywv@", max_size=120)
BYTES = st.binary(max_size=200) | NEAR.map(str.encode)

PARSERS_OF_BYTES: list[Callable[[bytes], object]] = [
    note.parse_note,
    parse_checkpoint,
    proof.parse_proof,
    tiles.decode_bundle,
    lambda b: note.verify_note(b, []),
    lambda b: policy.Policy.from_vkey(b.decode("utf-8", "replace")).check(b),
]
PARSERS_OF_TEXT: list[Callable[[str], object]] = [
    note.Verifier,
    note.Signer,
    tiles.parse_tile_path,
    policy.parse_policy,
    lambda t: note.parse_signature_line(t),
]


@pytest.mark.parametrize("parse", PARSERS_OF_BYTES)
@settings(max_examples=150, deadline=None)
@given(data=BYTES)
def test_byte_parsers_raise_only_verify_errors(
    parse: Callable[[bytes], object], data: bytes
) -> None:
    with contextlib.suppress(VerifyError):
        parse(data)


@pytest.mark.parametrize("parse", PARSERS_OF_TEXT)
@settings(max_examples=150, deadline=None)
@given(text=NEAR | st.text(max_size=80))
def test_text_parsers_raise_only_verify_errors(parse: Callable[[str], object], text: str) -> None:
    with contextlib.suppress(VerifyError):
        parse(text)

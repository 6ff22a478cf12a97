"""C2SP tlog-checkpoint: strict parsing, Go's golden tree note."""

import base64
import contextlib

import pytest
from hub_verify import merkle
from hub_verify.checkpoint import Checkpoint, parse_checkpoint
from hub_verify.errors import MalformedError
from public_vectors import load

GO = load("golang-mod/go_sumdb.json")["tlog"]
ROOT = base64.b64encode(b"\x07" * 32).decode()


def test_go_golden_tree_note_parses_to_the_record_hash_of_hello_world() -> None:
    cp = parse_checkpoint(GO["tree_note_text"].encode())
    hello = merkle.leaf_hash(b"hello world")
    assert cp == Checkpoint("go.sum database tree", GO["tree_size"], hello)
    assert cp.text() == GO["tree_note_text"].encode()


@pytest.mark.parametrize("bad", [*load("golang-mod/go_sumdb.json")["tlog"]["bad_tree_texts"]])
def test_go_bad_tree_notes_are_refused(bad: str) -> None:
    with pytest.raises(MalformedError):
        parse_checkpoint(bad.encode())


def test_round_trip() -> None:
    cp = Checkpoint("hub.example.fr/tlog", 20852163, b"\x07" * 32)
    assert cp.text() == f"hub.example.fr/tlog\n20852163\n{ROOT}\n".encode()
    assert parse_checkpoint(cp.text()) == cp
    assert parse_checkpoint(f"o\n0\n{ROOT}\n".encode()).size == 0


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "o\n1\n",
        f"o\n1\n{ROOT}",  # no final newline
        f"\n1\n{ROOT}\n",  # empty origin
        f"o\n01\n{ROOT}\n",  # leading zero
        f"o\n-1\n{ROOT}\n",
        f"o\n+1\n{ROOT}\n",
        f"o\n 1\n{ROOT}\n",
        f"o\n1.0\n{ROOT}\n",
        f"o\n\u0661\n{ROOT}\n",  # a non-ASCII digit
        f"o\n{1 << 63}\n{ROOT}\n",
        f"o\n{'9' * 400}\n{ROOT}\n",
        "o\n1\n" + base64.b64encode(b"\x07" * 31).decode() + "\n",
        "o\n1\n" + ROOT[:-1] + "\n",
        "o\n1\n" + ROOT[:-2] + "d=\n",  # non-canonical base64 of the same bytes
        f"o\n1\n{ROOT}\nextension\n",
        f"o\n1\n{ROOT}\n\n",
        f"o\x01\n1\n{ROOT}\n",
    ],
)
def test_malformed_checkpoints_are_refused(bad: str) -> None:
    with pytest.raises(MalformedError):
        parse_checkpoint(bad.encode())


def test_non_utf8_checkpoint_is_refused() -> None:
    with pytest.raises(MalformedError, match="UTF-8"):
        parse_checkpoint(b"\xff\n1\n" + ROOT.encode() + b"\n")


def test_every_bit_flip_of_a_checkpoint_changes_or_breaks_it() -> None:
    good = Checkpoint("hub.example.fr/tlog", 1234, b"\x07" * 32)
    text = good.text()
    for i in range(len(text)):
        for bit in range(8):
            bad = text[:i] + bytes([text[i] ^ (1 << bit)]) + text[i + 1 :]
            with contextlib.suppress(MalformedError):
                assert parse_checkpoint(bad) != good


def test_checkpoint_refuses_bad_fields() -> None:
    with pytest.raises(MalformedError):
        Checkpoint("o", -1, b"\0" * 32)
    with pytest.raises(MalformedError):
        Checkpoint("o", 1, b"\0" * 31)
    with pytest.raises(MalformedError):
        Checkpoint("a\nb", 1, b"\0" * 32)

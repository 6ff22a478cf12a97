"""C2SP signed-note and cosignature/v1: Go's golden keys and signature, C2SP's example."""

import base64

import pytest
from hub_verify import note
from hub_verify.errors import MalformedError, SignatureError, VerifyError
from public_vectors import load

GO = load("golang-mod/go_sumdb.json")["note"]
C2SP = load("c2sp/c2sp_examples.json")["signed_note"]
PETER = note.Verifier(GO["peter_vkey"])
ENOCH = note.Verifier(GO["enoch_vkey"])
TEXT = GO["text"].encode()


def _flips(data: bytes) -> list[bytes]:
    return [
        data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
        for i in range(len(data))
        for bit in range(8)
    ]


# --- Public vectors ---


def test_go_peter_neumann_key_reproduces_the_golden_signature_byte_for_byte() -> None:
    signer = note.Signer(GO["peter_skey"])
    assert (signer.name, signer.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert note.sign_note(TEXT, signer) == GO["peter_signed_note"].encode()
    assert note.vkey_of(GO["peter_skey"]) == GO["peter_vkey"]


def test_go_golden_note_verifies_with_its_vkey() -> None:
    parsed, verified = note.verify_note(GO["peter_signed_note"].encode(), [PETER])
    assert parsed.text == TEXT
    assert verified == [PETER]


def test_go_two_signatures_one_known_key_verifies_and_the_other_is_ignored() -> None:
    data = (GO["text"] + "\n" + GO["peter_sig_line"] + GO["enoch_sig_line"]).encode()
    _, verified = note.verify_note(data, [PETER])
    assert verified == [PETER]
    _, verified = note.verify_note(data, [ENOCH, PETER])
    assert verified == [PETER, ENOCH]
    with pytest.raises(SignatureError, match="no valid signature"):
        note.verify_note(data, [])


def test_go_signature_with_inserted_bytes_is_refused() -> None:
    line = GO["peter_sig_line"]
    data = (GO["text"] + "\n" + line[:60] + "ABCD" + line[60:]).encode()
    with pytest.raises(SignatureError, match="invalid signature for key PeterNeumann"):
        note.verify_note(data, [PETER])


@pytest.mark.parametrize(
    "bad",
    [
        GO["text"],
        GO["text"] + "\n",
        GO["text"] + "\n" + GO["peter_sig_line"][:-1],
        "\x01" + GO["text"] + "\n" + GO["peter_sig_line"],
        GO["text"] + "\n" + GO["peter_sig_line"].replace("PeterNeumann", "Bad Name")[:-1],
        GO["text"] + "\n" + GO["peter_sig_line"] + "Unexpected line.\n",
        GO["text"] + "\n" + GO["peter_sig_line"] * 101,
    ],
)
def test_go_malformed_notes_are_refused(bad: str) -> None:
    with pytest.raises(MalformedError):
        note.verify_note(bad.encode(), [PETER])


def test_non_utf8_note_is_refused() -> None:
    with pytest.raises(MalformedError, match="UTF-8"):
        note.verify_note(b"\xff" + GO["peter_signed_note"].encode(), [PETER])


def test_c2sp_example_vkey_verifies_its_example_note() -> None:
    v = note.Verifier(C2SP["vkey"])
    parsed, verified = note.verify_note(C2SP["note"].encode(), [v])
    assert parsed.text == b"This is an example message.\n"
    assert verified == [v]


def test_go_mangled_vkeys_are_refused() -> None:
    """As Go's TestNewVerifier: every proper substring and every byte + 1."""
    vkey = GO["peter_vkey"]
    for i in range(len(vkey) + 1):
        for j in range(i + 1, len(vkey) + 1):
            if (i, j) != (0, len(vkey)):
                with pytest.raises(MalformedError):
                    note.Verifier(vkey[i:j])
    for i in range(len(vkey)):
        with pytest.raises(MalformedError):
            note.Verifier(vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :])
    for bad in GO["bad_vkeys"]:
        with pytest.raises(MalformedError):
            note.Verifier(bad)


def test_go_mangled_skeys_are_refused() -> None:
    skey = GO["peter_skey"]
    for i in range(len(skey) + 1):
        for j in range(i + 1, len(skey) + 1):
            if (i, j) != (0, len(skey)):
                with pytest.raises(MalformedError):
                    note.Signer(skey[i:j])
    for i in range(len(skey)):
        with pytest.raises(MalformedError):
            note.Signer(skey[:i] + chr(ord(skey[i]) + 1) + skey[i + 1 :])


# --- Bit flips ---


def test_every_bit_flip_of_a_signed_note_is_refused() -> None:
    """Text, blank line, signature line: no single flipped bit leaves a note that verifies."""
    good = GO["peter_signed_note"].encode()
    for bad in _flips(good):
        # A flipped name or key ID is an unknown key: then no known key verifies.
        with pytest.raises(VerifyError):
            note.verify_note(bad, [PETER])


def test_every_bit_flip_of_a_cosignature_is_refused() -> None:
    skey, vkey = note.cosigner_key("witness.example/w1")
    text = b"example.com/log\n5\n" + base64.b64encode(b"r" * 32) + b"\n"
    sig = note.cosign(text, skey, 1679315147)
    w = note.Verifier(vkey)
    assert w.verify(text, sig.data)
    for bad in _flips(sig.data):
        assert not w.verify(text, bad)
    for bad_text in _flips(text):
        assert not w.verify(bad_text, sig.data)


# --- Keys and cosignatures ---


def test_generated_keys_sign_and_verify() -> None:
    skey, vkey = note.generate_key("hub.example.fr/tlog")
    signed = note.sign_note(b"hello\n", note.Signer(skey))
    v = note.Verifier(vkey)
    assert note.verify_note(signed, [v])[1] == [v]
    assert v.type == note.ED25519 and note.vkey_of(skey) == vkey


def test_a_cosigned_checkpoint_verifies_for_both_the_log_and_the_witness() -> None:
    log_skey, log_vkey = note.generate_key("example.com/log")
    w_skey, w_vkey = note.cosigner_key("witness.example/w1")
    text = b"example.com/log\n5\n" + base64.b64encode(b"r" * 32) + b"\n"
    signed = note.sign_note(text, note.Signer(log_skey))
    cosig = note.cosign(text, w_skey, 1679315147)
    assert note.cosignature_timestamp(cosig) == 1679315147
    both = note.add_signatures(signed, [cosig.line()])
    log, witness = note.Verifier(log_vkey), note.Verifier(w_vkey)
    assert witness.type == note.COSIGNATURE_V1
    assert note.verify_note(both, [log, witness])[1] == [log, witness]
    assert note.add_signatures(both, [cosig]) == both  # no duplicate lines


def test_cosignature_signs_the_cosignature_v1_message() -> None:
    """Checked with the bare Ed25519 key: 'cosignature/v1\\ntime <ts>\\n' then the text."""
    w_skey, w_vkey = note.cosigner_key("w")
    text = b"o\n1\n" + base64.b64encode(b"\0" * 32) + b"\n"
    sig = note.cosign(text, w_skey, 7)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pub = Ed25519PublicKey.from_public_bytes(note.Verifier(w_vkey).public_key)
    pub.verify(sig.data[8:], b"cosignature/v1\ntime 7\n" + text)
    assert sig.data[:8] == (7).to_bytes(8, "big")
    assert sig.key_id == note.key_id("w", 0x04, pub.public_bytes_raw())


def test_a_log_key_cannot_be_mistaken_for_its_cosigner_twin() -> None:
    """One Ed25519 key as 0x01 and 0x04 has two key IDs: one signature never passes as the other."""
    skey, vkey = note.generate_key("k")
    text = b"o\n1\n" + base64.b64encode(b"\0" * 32) + b"\n"
    as_cosigner = note.Verifier(note.vkey_of(skey, cosigner=True))
    assert as_cosigner.key_id != note.Verifier(vkey).key_id
    with pytest.raises(SignatureError):
        note.verify_note(note.sign_note(text, note.Signer(skey)), [as_cosigner])


def test_the_same_vkey_listed_twice_is_one_key() -> None:
    twice = [PETER, note.Verifier(GO["peter_vkey"])]
    _, verified = note.verify_note(GO["peter_signed_note"].encode(), twice)
    assert verified == [PETER]


def test_a_signature_repeated_in_a_note_counts_once() -> None:
    data = (GO["text"] + "\n" + GO["peter_sig_line"] * 3).encode()
    assert note.verify_note(data, [PETER])[1] == [PETER]


def test_cosign_refuses_bad_timestamps_and_sign_note_refuses_cosigner_keys() -> None:
    w_skey, _ = note.cosigner_key("w")
    with pytest.raises(MalformedError):
        note.cosign(b"t\n", w_skey, -1)
    with pytest.raises(MalformedError):
        note.cosign(b"t\n", w_skey, 1 << 63)
    with pytest.raises(SignatureError):
        note.sign_note(b"t\n", note.Signer(w_skey))


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\nb"])
def test_bad_key_names_are_refused(name: str) -> None:
    with pytest.raises(MalformedError, match="key name"):
        note.generate_key(name)


@pytest.mark.parametrize("text", [b"", b"no newline", b"\xff\n", b"ctl\x07\n"])
def test_bad_note_texts_are_refused(text: bytes) -> None:
    with pytest.raises(MalformedError):
        note.sign_note(text, note.Signer(GO["peter_skey"]))


def test_signature_line_with_non_canonical_base64_is_refused() -> None:
    line = GO["peter_sig_line"]
    assert line.endswith("AM=\n")
    data = (GO["text"] + "\n" + line[:-4] + "AN=\n").encode()  # same bytes, other trailing bits
    with pytest.raises(MalformedError, match="canonical"):
        note.parse_note(data)


def test_cosignature_timestamp_of_a_plain_signature_is_malformed() -> None:
    sig = note.parse_note(GO["peter_signed_note"].encode()).signatures[0]
    with pytest.raises(MalformedError, match="cosignature"):
        note.cosignature_timestamp(sig)


def test_sixteen_signatures_are_accepted() -> None:
    signed = GO["peter_signed_note"].encode()
    others = [note.cosign(TEXT, note.cosigner_key(f"w{i}")[0], i) for i in range(15)]
    assert len(note.parse_note(note.add_signatures(signed, others)).signatures) == 16

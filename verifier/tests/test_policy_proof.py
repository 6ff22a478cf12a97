"""C2SP tlog-policy and tlog-proof: quorum rules, strict parsing, a receipt end to end."""

import base64

import pytest
from hub_verify import merkle, note
from hub_verify.checkpoint import Checkpoint
from hub_verify.errors import MalformedError, PolicyError, ProofError, SignatureError, VerifyError
from hub_verify.policy import Policy, parse_policy
from hub_verify.proof import TlogProof, format_proof, parse_proof, verify_proof

ORIGIN = "hub.example.fr/tlog"
LOG_SKEY, LOG_VKEY = note.generate_key(ORIGIN)
WITNESSES = {f"w{i}": note.cosigner_key(f"witness{i}.example") for i in range(4)}
ENTRIES = [b"v1 sign %d" % i for i in range(11)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]
CP = Checkpoint(ORIGIN, len(ENTRIES), merkle.root(LEAVES))


def _cosigned(*names: str, cp: Checkpoint = CP) -> bytes:
    signed = note.sign_note(cp.text(), note.Signer(LOG_SKEY))
    cosigs = [note.cosign(cp.text(), WITNESSES[n][0], 1_700_000_000) for n in names]
    return note.add_signatures(signed, cosigs) if cosigs else signed


def _policy(quorum_lines: str) -> Policy:
    lines = [f"log {LOG_VKEY} https://hub.example.fr/tlog"]
    lines += [f"witness {n} {v}" for n, (_, v) in WITNESSES.items()]
    return parse_policy("\n".join(lines) + "\n" + quorum_lines + "\n")


def test_spec_shaped_policy_with_two_levels_of_groups() -> None:
    policy = _policy(
        "# two of X, one of Y\ngroup X 2 w0 w1 w2\ngroup Y any w3\ngroup XY all X Y\nquorum XY"
    )
    assert policy.check(_cosigned("w0", "w2", "w3")) == CP
    with pytest.raises(PolicyError, match="quorum"):
        policy.check(_cosigned("w0", "w1"))
    with pytest.raises(PolicyError, match="quorum"):
        policy.check(_cosigned("w0", "w3"))


def test_quorum_none_needs_only_the_log_and_one_witness_quorum_needs_it() -> None:
    assert _policy("quorum none").check(_cosigned()) == CP
    assert Policy.from_vkey(LOG_VKEY).check(_cosigned("w1")) == CP
    assert _policy("quorum w1").check(_cosigned("w1")) == CP
    with pytest.raises(PolicyError):
        _policy("quorum w1").check(_cosigned("w0"))


def test_a_note_without_the_log_signature_is_refused() -> None:
    cosig = note.cosign(CP.text(), WITNESSES["w0"][0], 1)
    only_witness = note.format_note(CP.text(), [cosig])
    with pytest.raises(SignatureError, match="no known log"):
        _policy("quorum none").check(only_witness)


def test_a_log_key_named_otherwise_than_the_origin_is_not_the_log() -> None:
    skey, vkey = note.generate_key("other.example/log")
    signed = note.sign_note(CP.text(), note.Signer(skey))
    with pytest.raises(SignatureError, match="no known log"):
        Policy.from_vkey(vkey).check(signed)


def test_a_failing_known_witness_signature_rejects_the_checkpoint() -> None:
    good = _cosigned("w0").decode()
    last = good.rstrip("\n").rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(last))
    raw[-1] ^= 1
    bad = good.replace(last, base64.b64encode(bytes(raw)).decode()).encode()
    with pytest.raises(SignatureError, match="invalid signature"):
        _policy("quorum w0").check(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "",  # no quorum
        "quorum none\nquorum none",
        "quorum w9",
        "witness none {w0}\nquorum none",
        "witness a {w0}\nwitness a {w1}\nquorum none",
        "witness a {w0}\nwitness b {w0}\nquorum none",
        "log {log}\nlog {log}\nquorum none",
        "log {w0}\nquorum none",  # a cosigner key as a log key
        "witness a {log}\nquorum none",  # a log key as a witness key
        "witness a {w0}\ngroup g 2 a\nquorum g",
        "witness a {w0}\ngroup g 0 a\nquorum g",
        "witness a {w0}\ngroup g any a a\nquorum g",
        "witness a {w0}\ngroup g any b\nquorum g",
        "witness a {w0}\ngroup g any\nquorum g",
        "witness a {w0}\ngroup g some a\nquorum g",
        "witness a not-a-vkey\nquorum none",
        "frobnicate\nquorum none",
        "quorum none\x00",
    ],
)
def test_malformed_policies_are_refused(bad: str) -> None:
    text = bad.format(log=LOG_VKEY, w0=WITNESSES["w0"][1], w1=WITNESSES["w1"][1])
    with pytest.raises(PolicyError):
        parse_policy(text)


def test_policy_syntax_allows_tabs_comments_and_urls() -> None:
    w0 = WITNESSES["w0"][1]
    policy = parse_policy(
        f"  # comment\n\tlog\t{LOG_VKEY}\n\nwitness a {w0} https://w/\nquorum a\n"
    )
    assert policy.urls["a"] == "https://w/" and policy.quorum == "a"
    assert policy.logs == [note.Verifier(LOG_VKEY)]


def test_from_vkey_refuses_bad_keys() -> None:
    with pytest.raises(PolicyError):
        Policy.from_vkey("garbage")
    with pytest.raises(PolicyError):
        Policy.from_vkey(WITNESSES["w0"][1])


# --- tlog-proof ---


def _proof(index: int, names: tuple[str, ...] = ("w0", "w1")) -> TlogProof:
    hashes = merkle.inclusion_path(index, LEAVES)
    return TlogProof(index, hashes, _cosigned(*names), extra=ENTRIES[index])


def test_a_receipt_round_trips_and_verifies() -> None:
    policy = _policy("group g 2 w0 w1 w2\nquorum g")
    p = _proof(7)
    data = format_proof(p)
    assert data.startswith(b"c2sp.org/tlog-proof@v1\nextra ")
    parsed = parse_proof(data)
    assert parsed == p
    assert verify_proof(parsed, ENTRIES[7], policy) == CP


def test_a_proof_without_extra_has_no_extra_line() -> None:
    p = TlogProof(0, merkle.inclusion_path(0, LEAVES), _cosigned())
    data = format_proof(p)
    assert data.split(b"\n")[1] == b"index 0"
    assert parse_proof(data) == p


def test_a_proof_for_another_entry_or_index_is_refused() -> None:
    policy = Policy.from_vkey(LOG_VKEY)
    with pytest.raises(ProofError):
        verify_proof(_proof(7), ENTRIES[6], policy)
    wrong_index = _proof(7)
    wrong_index.index = 6
    with pytest.raises(ProofError):
        verify_proof(wrong_index, ENTRIES[7], policy)


def test_every_bit_flip_of_a_proof_file_is_refused() -> None:
    """Header, index, hashes, checkpoint text and signatures (the extra is not authenticated)."""
    policy = _policy("quorum w0")
    data = format_proof(_proof(5, ("w0",)))
    extra_line = data.split(b"\n")[1]
    start, end = data.index(extra_line), data.index(extra_line) + len(extra_line)
    for i in range(len(data)):
        if start <= i < end:
            continue
        for bit in range(8):
            bad = data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
            with pytest.raises(VerifyError):
                verify_proof(parse_proof(bad), ENTRIES[5], policy)


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"c2sp.org/tlog-proof@v2\nindex 0\n\n",
        b"c2sp.org/tlog-proof@v1\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 01\n\n",
        b"c2sp.org/tlog-proof@v1\nindex -1\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 99999999999999999999\n\n",
        b"c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n" + b"\xff\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n\nnot a note\n",
    ],
)
def test_malformed_proofs_are_refused(bad: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_proof(bad + (_cosigned() if bad.endswith(b"\n\n") else b""))


def test_too_many_hashes_are_refused() -> None:
    head = b"c2sp.org/tlog-proof@v1\nindex 0\n" + (base64.b64encode(b"\0" * 32) + b"\n") * 64
    with pytest.raises(MalformedError, match="more than 63"):
        parse_proof(head + b"\n" + _cosigned())

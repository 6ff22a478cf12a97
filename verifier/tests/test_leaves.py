"""The hub's leaf format (design note §4.3): golden leaves and the strict parser."""

import pytest
from hub_verify.errors import MalformedError, VerifyError
from hub_verify.leaves import (
    Close,
    Erase,
    Open,
    Sign,
    Withdraw,
    commitment,
    key_commit,
    nullifier,
    parse_leaf,
)

# Golden values, computed outside Python too (sha256sum and `openssl dgst -hmac`), so that the
# petitions service, the transparency service and any outside verifier can check themselves.
P = "3f2b1c9d-8e7f-4d2a-9a53-0b7e7c4e1c55"
SECRET = bytes(range(32))
KEY = bytes([0x11]) * 32
C_HEX = "56335feaf252f018f15a5b354d086691e31005a77ff63b558aa2d63b2ba85ff8"
N_HEX = "22937cbacc1cb20003fce296bb39e5e39fded0ee16c204cf29cb74c6b06fc772"
KEY_COMMIT_HEX = "74849249ebfc2cf80e5983b3d8f0bf4f1502fd53eb92971f96dc151d4fcdb338"
C_B64 = "VjNf6vJS8BjxWls1TQhmkeMQBad/9jtViqLWOyuoX/g="
N_B64 = "IpN8uswcsgAD/OKWuznl45/e0O4WwgTPKct0xrBvx3I="

GOLDEN = [
    (
        Open(P, bytes([0xAA]) * 32, bytes.fromhex(KEY_COMMIT_HEX), {"resign": "1"}),
        f"v1 open {P} qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo= "
        "dISSSev8LPgOWYOz2PC/TxUC/VPrkpcfltwVHU/Nszg= resign=1",
    ),
    (Open(P, bytes(32), bytes(32)), f"v1 open {P} {'A' * 43}= {'A' * 43}= -"),
    (Sign(P, bytes.fromhex(N_HEX), bytes.fromhex(C_HEX)), f"v1 sign {P} {N_B64} {C_B64}"),
    (
        Sign(P, bytes.fromhex(N_HEX), bytes.fromhex(C_HEX), "2A"),
        f"v1 sign {P} {N_B64} {C_B64} d=2A",
    ),
    (Withdraw(P, 7, SECRET), f"v1 withdraw {P} 7 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
    (Withdraw(P, 0, None), f"v1 withdraw {P} 0 -"),
    (
        Close(P, 12345, bytes([0xBB]) * 32),
        f"v1 close {P} 12345 u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7s=",
    ),
    (Erase(P, "2027-03-01"), f"v1 erase {P} 2027-03-01"),
]


def test_commitment_nullifier_and_key_commitment_match_the_golden_values():
    assert commitment(P, SECRET).hex() == C_HEX
    assert nullifier(KEY, "signer-1").hex() == N_HEX
    assert key_commit(KEY).hex() == KEY_COMMIT_HEX


def test_nullifier_differs_per_petition_key_and_per_signer():
    assert nullifier(bytes(32), "signer-1") != nullifier(KEY, "signer-1")
    assert nullifier(KEY, "signer-2") != nullifier(KEY, "signer-1")


@pytest.mark.parametrize(("leaf", "line"), GOLDEN)
def test_golden_leaf_lines_and_round_trip(leaf, line):
    assert leaf.line() == line
    assert parse_leaf(line) == leaf
    assert parse_leaf(line.encode("ascii")) == leaf


def test_open_flags_say_resign_and_departements():
    leaf = parse_leaf(f"v1 open {P} {'A' * 43}= {'A' * 43}= dept=1,resign=1")
    assert isinstance(leaf, Open) and leaf.resign and leaf.departements
    assert not Open(P, bytes(32), bytes(32)).resign


def test_a_sign_leaf_is_well_under_the_limit():
    assert len(GOLDEN[3][1]) < 256


G_SIGN = f"v1 sign {P} {N_B64} {C_B64}"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "v1",
        f"v2 sign {P} {N_B64} {C_B64}",
        f"v1 vote {P} {N_B64} {C_B64}",
        G_SIGN + " ",  # trailing space
        G_SIGN + "\n",  # an entry has no trailing newline
        G_SIGN + "\r",
        G_SIGN.replace(" ", "  ", 1),  # double space
        G_SIGN.replace(" ", "\t", 1),
        " " + G_SIGN,
        G_SIGN.replace(P, P.upper()),  # P as the API shows it: lowercase
        G_SIGN.replace(P, "a" * 37),
        G_SIGN.replace(P, "a_b"),
        G_SIGN.replace(N_B64, N_B64.rstrip("=")),  # padding required
        G_SIGN.replace(N_B64, N_B64.replace("/", "_")),  # standard alphabet, not url-safe
        G_SIGN.replace(N_B64, "AAAA"),  # 3 bytes, not 32
        G_SIGN.replace(N_B64, "A" * 42 + "B="),  # stray bits: not the canonical encoding
        G_SIGN.replace(N_B64, "A" * 43 + "A"),
        G_SIGN + " d=20",  # no such département
        G_SIGN + " d=",
        G_SIGN + " x=01",
        G_SIGN + " d=01 d=02",
        G_SIGN.replace("sign", "sign é"),
        f"v1 withdraw {P} 07 -",  # leading zero
        f"v1 withdraw {P} -1 -",
        f"v1 withdraw {P} +1 -",
        f"v1 withdraw {P} 1",
        f"v1 withdraw {P} 1 x",
        f"v1 close {P} 00 {C_B64}",
        f"v1 close {P} 1.0 {C_B64}",
        f"v1 close {P} 12",
        f"v1 erase {P} 2027-02-30",
        f"v1 erase {P} 2027-2-3",
        f"v1 erase {P} 20270301",
        f"v1 erase {P} 2027-03-01 x",
        f"v1 open {P} {C_B64} {C_B64}",  # flags field missing ('-' when none)
        f"v1 open {P} {C_B64} {C_B64} ",
        f"v1 open {P} {C_B64} {C_B64} resign",
        f"v1 open {P} {C_B64} {C_B64} resign=1,resign=1",
        f"v1 open {P} {C_B64} {C_B64} resign=1,",
        f"v1 open {P} {C_B64} {C_B64} Resign=1",
        f"v1 close {P} 1 {C_B64}" + "x" * 200,
    ],
)
def test_malformed_lines_are_refused(line):
    with pytest.raises(MalformedError):
        parse_leaf(line)


def test_non_ascii_bytes_and_overlong_lines_are_refused():
    with pytest.raises(MalformedError, match="ASCII"):
        parse_leaf(G_SIGN.encode() + b"\xff")
    with pytest.raises(MalformedError, match="at most 256"):
        parse_leaf(f"v1 open {P} {C_B64} {C_B64} " + ",".join(f"f{i}=1" for i in range(40)))


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sign("P!", bytes(32), bytes(32)),
        lambda: Sign(P, bytes(31), bytes(32)),
        lambda: Sign(P, bytes(32), bytes(32), "99"),
        lambda: Withdraw(P, -1, None),
        lambda: Withdraw(P, 1, b"short"),
        lambda: Close(P, True, bytes(32)),
        lambda: Erase(P, "2027-13-01"),
        lambda: Open(P, bytes(32), bytes(32), {"resign": "1,dept=1"}),
        lambda: commitment(P, bytes(16)),
        lambda: nullifier(b"k", "s"),
    ],
)
def test_invalid_values_cannot_be_built(build):
    with pytest.raises(MalformedError):
        build()


def test_errors_are_value_errors_with_a_readable_message():
    with pytest.raises(VerifyError) as caught:
        parse_leaf("v1 erase x 2027-02-30")
    assert isinstance(caught.value, ValueError)
    assert "not a valid date" in str(caught.value)

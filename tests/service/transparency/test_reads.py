"""The log over HTTP: tiles and entry bundles verified with hub_verify against the signed
checkpoint, the helper API, and bad input to every route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hub_verify import leaves, merkle, tiles
from hub_verify import note as notes
from hub_verify.checkpoint import parse_checkpoint

from shared.envelope import Envelope
from shared.testing import BaseUrlSession

from .support import Petition, eventually, leaves_event

IMMUTABLE = "public, max-age=31536000, immutable"


def _published(client: BaseUrlSession, size: int) -> Any:
    def check() -> Any:
        response = client.get("/checkpoint")
        if response.status_code != 200:
            return None
        vkey = client.get("/vkey").text.strip()
        note, _ = notes.verify_note(response.content, [notes.Verifier(vkey)])
        found = parse_checkpoint(note.text)
        return found if found.size >= size else None

    return eventually(check, what=f"a checkpoint of size {size}")


@pytest.fixture
def big_log(transparency: Any, publish: Callable[[Envelope], None], client: BaseUrlSession) -> Any:
    """One petition, 300 signs (a full tile and a partial one), one withdrawn."""
    petition = Petition()
    signs = [petition.sign() for _ in range(300)]
    publish(leaves_event([petition.open(), *signs]))
    _published(client, 301)
    publish(leaves_event([petition.withdraw(signs[7]["commitment"], reveal=False)]))
    return petition, signs, _published(client, 302)


def test_tiles_and_bundles_verify_against_the_checkpoint(
    big_log: Any, client: BaseUrlSession
) -> None:
    petition, signs, checkpoint = big_log
    fetched: list[str] = []

    def fetch(tile: tiles.Tile) -> bytes:
        response = client.get("/" + tile.path())
        assert response.status_code == 200, tile.path()
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["Content-Type"] == "application/octet-stream"
        fetched.append(tile.path())
        return response.content

    read = tiles.tile_hash_reader(checkpoint.size, checkpoint.root, fetch)
    hashes = tiles.read_leaf_hashes(read, 0, checkpoint.size)
    entries = tiles.decode_bundle(client.get("/tile/entries/000").content)
    entries += tiles.decode_bundle(client.get("/tile/entries/001.p/46").content)
    assert [merkle.leaf_hash(e) for e in entries] == hashes
    assert merkle.root(hashes) == checkpoint.root
    assert "tile/0/000" in fetched and "tile/0/001.p/46" in fetched
    lines = [leaves.parse_leaf(e) for e in entries]
    assert isinstance(lines[0], leaves.Open) and isinstance(lines[-1], leaves.Withdraw)
    # beyond the published tree: 404, never cached
    for path in ("/tile/0/001.p/47", "/tile/0/002", "/tile/entries/001", "/tile/1/000"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Cache-Control"] == "no-store"


def test_a_receipt_is_a_tlog_proof_anyone_can_check(big_log: Any, client: BaseUrlSession) -> None:
    from hub_verify.policy import Policy
    from hub_verify.proof import parse_proof, verify_proof

    petition, signs, checkpoint = big_log
    sign = signs[42]
    response = client.get(f"/api/v1/receipts/{sign['commitment']}")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    proof = parse_proof(response.content)
    assert proof.extra == sign["line"].encode()
    policy = Policy.from_vkey(client.get("/vkey").text.strip())
    found = verify_proof(proof, proof.extra, policy)
    assert found.size == checkpoint.size and found.root == checkpoint.root
    # the citizen's secret opens the commitment in the leaf
    leaf = leaves.parse_leaf(proof.extra)
    secret = petition.secrets[sign["commitment"]]
    assert leaf.commitment == leaves.commitment(petition.id, secret)


def test_the_petition_window_counts_as_a_recount_would(
    big_log: Any, client: BaseUrlSession
) -> None:
    from hub_verify.recount import recount

    petition, _, _ = big_log
    response = client.get(f"/api/v1/petitions/{petition.id}")
    assert response.status_code == 200
    assert response.json() == {"open_index": 0, "close_index": None, "count": 299}
    entries = tiles.decode_bundle(client.get("/tile/entries/000").content)
    entries += tiles.decode_bundle(client.get("/tile/entries/001.p/46").content)
    counted = recount(enumerate(entries), petition.id)
    assert counted.count == 299 and not counted.anomalies


def test_consistency_proofs_between_published_sizes(big_log: Any, client: BaseUrlSession) -> None:
    import base64

    _, _, checkpoint = big_log
    response = client.get("/api/v1/proof/consistency", params={"old": 301, "new": 302})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    proof = [base64.b64decode(line) for line in response.text.splitlines()]
    old = client.get("/api/v1/proof/consistency", params={"old": 301, "new": 301})
    assert old.status_code == 200 and old.text == ""
    # the root at 301 is the first checkpoint's; check the proof links both
    entries = tiles.decode_bundle(client.get("/tile/entries/000").content)
    entries += tiles.decode_bundle(client.get("/tile/entries/001.p/46").content)
    hashes = [merkle.leaf_hash(e) for e in entries]
    merkle.verify_consistency(301, 302, proof, merkle.root(hashes[:301]), checkpoint.root)


BAD_INPUTS = [
    ("/api/v1/receipts/ABC", 400, "invalid_commitment"),
    ("/api/v1/receipts/" + "A" * 64, 400, "invalid_commitment"),
    ("/api/v1/receipts/" + "0" * 63, 400, "invalid_commitment"),
    ("/api/v1/receipts/" + "0" * 64, 404, "not_yet"),
    ("/api/v1/petitions/NOT_AN_ID", 400, "invalid_petition_id"),
    ("/api/v1/petitions/" + "a" * 37, 400, "invalid_petition_id"),
    ("/api/v1/petitions/00000000-0000-0000-0000-000000000000", 404, "not_found"),
    ("/api/v1/proof/consistency", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=1&new=x", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=-1&new=2", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=05&new=7", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=9&new=3", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=1&new=99999999999999999999", 400, "invalid_size"),
    ("/api/v1/proof/consistency?old=1&new=302", 404, "not_found"),
    ("/api/v1/proof/consistency?old=301&new=400", 404, "not_found"),
    ("/tile/0/x", 404, "not_found"),
    ("/tile/0/1", 404, "not_found"),
    ("/tile/0/000.p/0", 404, "not_found"),
    ("/tile/0/000.p/256", 404, "not_found"),
    ("/tile/64/000", 404, "not_found"),
    ("/tile/entries/000.p/", 404, "not_found"),
]


def test_bad_input_to_every_route_is_a_clear_json_error(
    big_log: Any, client: BaseUrlSession
) -> None:
    for path, status, code in BAD_INPUTS:
        response = client.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"] == code and response.json()["message"], path
        if status == 404:
            assert response.headers["Cache-Control"] == "no-store", path
        if code == "not_yet":
            assert response.headers["Retry-After"] == "2"

"""Events in, checkpoint out: petitions' leaves become a signed, verifiable log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from hub_verify import merkle
from hub_verify import note as notes
from hub_verify.checkpoint import parse_checkpoint

from shared.envelope import Envelope
from shared.testing import BaseUrlSession

from .support import Petition, eventually, leaves_event


def _lines(log_db: sa.Engine) -> list[str]:
    with log_db.connect() as conn:
        return list(conn.execute(sa.text("SELECT line FROM log_entries ORDER BY idx")).scalars())


def _checkpoint(client: BaseUrlSession, size: int) -> Any:
    def published() -> Any:
        response = client.get("/checkpoint")
        if response.status_code != 200:
            return None
        vkey = client.get("/vkey").text.strip()
        parsed_note, _ = notes.verify_note(response.content, [notes.Verifier(vkey)])
        found = parse_checkpoint(parsed_note.text)
        return (found, response) if found.size >= size else None

    return eventually(published, what=f"a checkpoint of size {size}")


def test_leaves_in_checkpoint_out(
    transparency: Any, publish: Callable[[Envelope], None], client: BaseUrlSession, log_db: Any
) -> None:
    petition = Petition()
    first = [petition.open(), *(petition.sign() for _ in range(5))]
    publish(leaves_event(first))
    checkpoint, response = _checkpoint(client, 6)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    lines = _lines(log_db)
    assert lines[0] == first[0]["line"]
    assert sorted(lines[1:]) == sorted(item["line"] for item in first[1:])
    assert merkle.root([merkle.leaf_hash(line.encode()) for line in lines]) == checkpoint.root
    assert checkpoint.origin.endswith("/tlog")
    signed = first[1]
    publish(leaves_event([petition.withdraw(signed["commitment"]), petition.close(4)]))
    checkpoint, _ = _checkpoint(client, 8)
    lines = _lines(log_db)
    sign_index = lines.index(signed["line"])
    assert lines[6].startswith(f"v1 withdraw {petition.id} {sign_index} ")
    assert lines[7] == petition.close(4)["line"]
    assert merkle.root([merkle.leaf_hash(line.encode()) for line in lines]) == checkpoint.root

"""One hot-petition signing process:
``python -m bench.hot_worker URL PETITION FIRST LAST N SECONDS``.

Signs citizens FIRST..LAST-1 (synthetic distinct subjects) on PETITION the way the petitions
service does: N green threads hand signatures to a group commit
(``shared.batching.GroupCommit``) whose flushers write each batch with
``services.petitions.handlers.signatures.sign_batch`` in a ``shared.db.UnitOfWork`` (the
signature rows, the count shard upsert and the outbox event in one transaction); no HTTP, for
SECONDS at most once ready. Prints one JSON line: completions per tenth of a second (wall
clock).
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Sequence  # noqa: E402

from sqlalchemy.orm import Session  # noqa: E402


def main(
    url: str, petition_id: str, first: int, last: int, concurrency: int, seconds: float
) -> int:
    from services.petitions.commands import SignRequest
    from services.petitions.dependencies import FLUSHERS, MAX_BATCH
    from services.petitions.domain import Citizen, PetitionError
    from services.petitions.handlers.signatures import sign_batch
    from shared.batching import GroupCommit
    from shared.db import UnitOfWork, make_engine

    engine = make_engine(url, pool_size=FLUSHERS, max_overflow=0)

    def write(requests: Sequence[SignRequest]) -> list[object]:
        uow = UnitOfWork(Session(engine), "petitions")
        try:
            return list(sign_batch(requests, uow))
        finally:
            uow.close()

    group: GroupCommit[SignRequest, object] = GroupCommit(write, MAX_BATCH, FLUSHERS)
    group.start(eventlet.spawn)
    until = time.time() + seconds  # counted once imported and ready, whatever the machine's load
    todo = iter(range(first, last))
    tenths: Counter[int] = Counter()
    errors: Counter[str] = Counter()

    def worker() -> None:
        for i in todo:
            if time.time() >= until:
                return
            citizen = Citizen(
                sub=f"bench-hot-{i:08d}", acr="eidas1", adult=True, signer=f"bench-hot-{i:08d}"
            )
            try:
                group.submit(SignRequest(petition_id, citizen))
                tenths[int(time.time() * 10)] += 1
            except PetitionError as exc:
                errors[exc.code] += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors[type(exc).__name__] += 1

    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(worker)
    pool.waitall()
    group.stop()
    engine.dispose()
    print(json.dumps({"tenths": tenths, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    url, petition, first, last, n, seconds = sys.argv[1:7]
    sys.exit(main(url, petition, int(first), int(last), int(n), float(seconds)))

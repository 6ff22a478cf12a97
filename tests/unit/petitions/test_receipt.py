from dataclasses import asdict

from services.petitions.domain import Receipt


def test_a_receipts_dict_is_what_notifications_knows_never_the_secret() -> None:
    receipt = Receipt("s-1", "p-1", "2026-03-01T10:00:00Z", "a" * 64, "c" * 64, "5" * 64)
    shared = {k: v for k, v in asdict(receipt).items() if k not in ("commitment", "secret")}
    assert receipt.as_dict() == shared

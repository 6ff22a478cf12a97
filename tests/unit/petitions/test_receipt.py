from dataclasses import asdict

from services.petitions.domain import Receipt


def test_a_receipts_dict_is_every_field() -> None:
    receipt = Receipt("s-1", "p-1", "2026-03-01T10:00:00Z", "a" * 64)
    assert receipt.as_dict() == asdict(receipt)

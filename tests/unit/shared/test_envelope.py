from dataclasses import asdict, fields

from shared.envelope import Envelope


def test_to_dict_holds_every_field_as_asdict_would() -> None:
    envelope = Envelope(
        "petitions.signatures_recorded",
        {"receipts": [{"petition_id": "p", "receipt": "r"}]},
        "petitions",
        correlation_id="c",
    )
    data = envelope.to_dict()
    assert data == asdict(envelope)
    assert set(data) == {f.name for f in fields(Envelope)}
    assert Envelope.from_dict(data) == envelope


def test_to_dict_copies_the_payload_so_the_envelope_stays_as_it_was() -> None:
    envelope = Envelope("t", {"a": 1}, "s")
    data = envelope.to_dict()
    data["payload"]["a"] = 2
    assert envelope.payload == {"a": 1}

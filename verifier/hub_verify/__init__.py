"""hub-verify: an exact, small implementation of the transparency log's public formats (RFC 9162
Merkle trees, C2SP signed-note, tlog-checkpoint, tlog-tiles, tlog-cosignature, tlog-witness,
tlog-proof, tlog-policy) and of the hub's leaves and recount rules, with cryptography only."""

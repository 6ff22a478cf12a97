"""Fault injection against a running hub: ``python -m faults`` (``make faults``).

The hub's five processes are started one by one as `hub up` starts them, on a private
PostgreSQL cluster and a private RabbitMQ node; under a signing load each process is killed with
SIGKILL and started again, the broker and the database are restarted, an agency's endpoint goes
down for a while; then every invariant of the outbox, the inbox and the signatures is checked,
and the transparency log is read over HTTP as an outsider reads it (every petition recounted,
every accepted signature in it exactly once), and the figures printed. ``tests/faults`` runs a
short version in ``make test``.
"""

"""The hub's benchmark (``python -m bench [--quick]``; docs/bench.md).

Starts the whole hub as ``make run`` does (``hub up``) on fresh PostgreSQL databases and a fresh
RabbitMQ vhost, logs thousands of distinct citizens in through the real identity flow, drives the
signing path end to end, measures the PostgreSQL and RabbitMQ ceilings on the same machine, fills
one hot petition, and writes ``var/bench/report.json``.
"""

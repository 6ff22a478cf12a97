"""Fault injection, short version (``make faults`` runs the full one: ``python -m faults``).

The five processes started one by one as `hub up` starts them, on a private PostgreSQL cluster
and a vhost of the shared broker; under a signing load: SIGTERM petitions, notifications and
transparency, kill -9 petitions, an agency's endpoint down for 3 s, kill -9 transparency and
notifications, every broker connection cut, PostgreSQL crashed and restarted. Then every
invariant of the issue is checked (faults/checks.py), the transparency log's read over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from faults.plans import SHORT
from faults.scenario import Run, summary

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fault_run() -> Iterator[Run]:
    from dataclasses import replace

    plan = replace(
        SHORT,
        shared_amqp_uri=os.environ.get("HUB_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    run = Run(plan, say=lambda line: print(line, flush=True))
    run.execute()
    print(summary(run))
    yield run


def test_after_the_faults_nothing_is_lost_and_nothing_is_applied_twice(fault_run):
    """201s stored once, errors never stored, counts = rows, every event delivered (once by
    webhook-id), no outbox row unsent, no consumer applying an event twice."""
    report = fault_run.report
    assert report.failures == [], summary(fault_run)
    signing = report.figures["signing"]
    # The run must really have hurt: requests were refused or cut while petitions was down.
    assert signing["refused"] + signing["no_response"] + signing["http_errors"] > 0
    assert report.figures["signatures_stored"] == signing["expected_stored"] > 0
    assert all(code == 0 for code in report.figures["exit_codes_at_stop"].values())


def test_the_log_recounts_every_petition_and_holds_each_signature_once(fault_run):
    """Read like an outsider (checkpoint, tiles, entry bundles, hub_verify's recount): after the
    kill -9 and SIGTERM of transparency, every accepted signature has exactly one sign leaf."""
    log = fault_run.report.figures["log"]
    assert log["caught_up_after_last_fault_s"] is not None, log
    assert log["sign_leaves"] == log["accepted_signatures"] > 0, log
    assert log["anomalies"] == 0, log
    assert log["size"] == log["sign_leaves"] + len(fault_run.petition_ids), log


def test_no_personal_data_in_logs_metrics_or_agency_events(fault_run):
    assert fault_run.personal_data == [], fault_run.personal_data[:10]


def test_no_secret_in_logs_metrics_or_agency_events(fault_run):
    """Tokens, client and webhook secrets, and authorization codes in logged URLs."""
    assert fault_run.secrets == [], sorted(set(fault_run.secrets))[:10]


def test_sigterm_drains_in_flight_requests_and_a_rolling_restart_loses_nothing(fault_run):
    """petitions, notifications and transparency were restarted with SIGTERM under load (before
    the kills): each stopped with status 0, and every request that reached them was answered
    (refused connections are fine: a load balancer retries those; a cut one is a lost answer)."""
    graceful = fault_run.report.figures["graceful"]
    assert graceful["requests"] > 0, graceful
    assert graceful["exit_codes"] == {"notifications": 0, "petitions": 0, "transparency": 0}
    assert graceful["no_answer"] == 0, graceful
    assert graceful["http_errors"] == [], graceful

"""One fault-injection run: the hub on private infrastructure, a signing load, faults one after
the other, recovery, then the invariants (see :mod:`faults.checks`) and the figures.
"""

from __future__ import annotations

import functools
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from hub_verify.checkpoint import Checkpoint
from hub_verify.errors import VerifyError
from hub_verify.fetch import Unavailable

from faults import actors, checks
from faults.hub import Hub
from faults.infra import PrivateBroker, PrivatePostgres, SharedBrokerVhost
from faults.load import Pair, SigningLoad, violations
from faults.plans import Plan


@dataclass
class Run:
    plan: Plan
    say: Callable[[str], None] = functools.partial(print, flush=True)
    report: checks.Report = field(default_factory=checks.Report)
    fault_log: list[dict[str, Any]] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    login_hints_logged: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)  # seen between the faults

    def note(self, message: str) -> None:
        self.say(f"faults [{time.monotonic() - self._t0:5.1f}s] {message}")

    def execute(self) -> checks.Report:
        started = self._t0 = time.monotonic()
        work = self.plan.work_dir or Path(tempfile.mkdtemp(prefix="hub-faults-"))
        self.pg = PrivatePostgres()
        self.broker: Any = (
            PrivateBroker()
            if self.plan.private_broker
            else SharedBrokerVhost(self.plan.shared_amqp_uri, f"hub-faults-{work.name[-8:]}")
        )
        self.hub: Hub | None = None
        try:
            self._setup(work)
            self._drive()
            self._verify()
        finally:
            if self.hub is not None:
                codes = self.hub.stop_all()
                self.report.figures["exit_codes_at_stop"] = codes
                self.report.figures["logs"] = str(self.hub.log_dir)
            self.broker.destroy()
            self.pg.destroy()
        self.report.figures["seconds"] = round(time.monotonic() - started, 1)
        return self.report

    # -- setup -----------------------------------------------------------------------------

    def _setup(self, work: Path) -> None:
        from tests.infra import create_databases, hub_environment

        self.note("starting private PostgreSQL and the broker")
        # NOTE: one after the other: started from two threads at once, the run once hung.
        self.pg.start()
        self.broker.start()
        self.database_urls = create_databases(self.pg.admin_url, "hub_faults")
        self.people = actors.write_identities(work / "identities.yaml", self.plan.citizens)
        env = hub_environment(self.database_urls, self.broker.amqp_uri, work / "data")
        env.update(
            {
                "MOCK_IDP_IDENTITIES": str(work / "identities.yaml"),
                "HUB_ACCESS_TOKEN_TTL": "3600",
                "HUB_PETITION_THRESHOLDS": "3,6",
                "HUB_LOG_LEVEL": "INFO",
                # The Svix schedule at 1/100 (5 s -> 0.05 s, 5 min -> 3 s) and a 20 s lease, so a
                # delivery cut off by a fault is retried within the run's wait.
                "HUB_WEBHOOK_RETRY_SCALE": "0.01",
                "HUB_WEBHOOK_LEASE_SECONDS": "20",
            }
        )
        self.hub = Hub(env, work / "logs")
        self.note(f"starting the hub's five processes (logs in {work / 'logs'})")
        self.hub.start_all()
        self.tlog_url = self.hub.url("transparency") + "/tlog"
        # Fetched once, as a verifier pins it: a restart must not change the log's key.
        self.log_vkey = self._log_vkey()
        self._actors()

    def _actors(self) -> None:
        hub = self.hub
        assert hub is not None
        specs = {
            "app": ("Fault web", "service-provider", "--redirect-uri", "http://127.0.0.1:1/cb"),
            "operator": ("Fault desk", "operator"),
            "agency_a": ("Fault prefecture", "agency"),
            "agency_b": ("Fault ministry", "agency"),
        }
        with ThreadPoolExecutor(4) as pool:
            futures = {
                k: pool.submit(hub.cli, "clients", "create", "--name", s[0], "--kind", *s[1:])
                for k, s in specs.items()
            }
            self.clients = {k: f.result() for k, f in futures.items()}
        identity = hub.url("identity")
        self.subscribers = [
            self._subscribe("agency_a", None),
            self._subscribe("agency_b", ["petition.published", "petition.signature_count_changed"]),
        ]
        before = {e[0] for e in checks.public_events(self.database_urls)}
        for sub in self.subscribers:
            sub.optional = before
        self.note(f"{self.plan.citizens} citizens sign in through the mock provider")
        with ThreadPoolExecutor(4) as pool:
            self.tokens = list(
                pool.map(
                    lambda p: actors.citizen_token(identity, self.clients["app"], p.key),
                    self.people,
                )
            )
        operator = actors.client_token(identity, self.clients["operator"], "petitions:moderate")
        self.petition_ids = [self._petition(i, operator) for i in range(self.plan.petitions)]
        rng = random.Random(self.plan.seed)  # noqa: S311 - test order
        pairs = [Pair(c, p) for c in range(self.plan.citizens) for p in self.petition_ids]
        rng.shuffle(pairs)
        self.load = SigningLoad(
            hub.url("petitions"), self.tokens, pairs, self.plan.workers, self.plan.rate_per_second
        )

    def _subscribe(self, agency: str, event_types: list[str] | None) -> checks.Subscriber:
        assert self.hub is not None
        receiver = actors.WebhookReceiver(agency.replace("_", "-"))
        receiver.up()
        token = actors.client_token(
            self.hub.url("identity"), self.clients[agency], "events:subscribe"
        )
        body: dict[str, Any] = {"url": receiver.url}
        if event_types is not None:
            body["event_types"] = event_types
        response = requests.post(
            self.hub.url("notifications") + "/api/subscriptions",
            json=body,
            headers=actors.bearer(token),
            timeout=15,
        )
        if response.status_code != 201:
            raise RuntimeError(f"subscription: {response.status_code} {response.text}")
        receiver.secret = response.json()["secret"]
        return checks.Subscriber(receiver, response.json()["id"], event_types)

    def _petition(self, i: int, operator_token: str) -> str:
        assert self.hub is not None
        base = self.hub.url("petitions") + "/api/petitions"
        created = requests.post(
            base,
            json={"title": f"Fault-test petition {i}", "text": "Signed while the hub is broken."},
            headers=actors.bearer(self.tokens[0]),
            timeout=15,
        )
        if created.status_code != 201:
            raise RuntimeError(f"create petition: {created.status_code} {created.text}")
        petition_id = str(created.json()["id"])
        published = requests.post(
            f"{base}/{petition_id}/moderation",
            json={"decision": "publish"},
            headers=actors.bearer(operator_token),
            timeout=15,
        )
        if published.status_code != 200:
            raise RuntimeError(f"publish: {published.status_code} {published.text}")
        return petition_id

    # -- the faults under load -------------------------------------------------------------

    def _drive(self) -> None:
        self.note(f"signing load at {self.plan.rate_per_second}/s; faults: {self.plan.faults}")
        self.load.start()
        errors: list[BaseException] = []

        def faults() -> None:
            try:
                for name in self.plan.faults:
                    time.sleep(self.plan.gap_seconds)
                    self._inject(name)
                time.sleep(self.plan.gap_seconds)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        thread = threading.Thread(target=faults, daemon=True)
        thread.start()
        thread.join()
        self.load.stop()
        if errors:
            raise errors[0]

    def _inject(self, name: str) -> None:
        assert self.hub is not None
        began = time.monotonic()
        kind, _, process = name.partition(":")
        if kind in ("kill", "term"):
            self.hub.restart(process, "kill9" if kind == "kill" else "term")
            if process in ("identity", "mock-idp"):
                self._prove_login_works()
        elif kind == "receiver_down":
            receiver = self.subscribers[0].receiver
            receiver.down()
            time.sleep(self.plan.receiver_down_seconds)
            receiver.up()
        elif kind == "broker_restart":
            self.broker.restart(down_seconds=1.0)
            self.hub.wait_all_ready()
        elif kind == "postgres_restart":
            self.pg.restart(down_seconds=1.0)
            self.hub.wait_all_ready()
        else:
            raise ValueError(f"unknown fault {name!r}")
        ended = time.monotonic()
        self._sample_checkpoint(name)
        seconds = round(ended - began, 1)
        self.fault_log.append({"fault": name, "recovered_in_s": seconds, "window": (began, ended)})
        self.note(f"{name}: recovered in {seconds}s")

    def _log_vkey(self) -> str:
        response = requests.get(self.tlog_url + "/vkey", timeout=15)
        response.raise_for_status()
        return response.text.strip()

    def _sample_checkpoint(self, after: str) -> None:
        """The log's checkpoint now (if it answers): the final one must extend every such one."""
        try:
            self.checkpoints.append(checks.read_log(self.tlog_url, self.log_vkey).checkpoint)
        except Unavailable:
            pass
        except VerifyError as error:
            self.report.check(False, f"log after {after}: the checkpoint does not verify: {error}")

    def _prove_login_works(self) -> None:
        assert self.hub is not None
        actors.citizen_token(self.hub.url("identity"), self.clients["app"], self.people[-1].key)

    # -- after the faults ------------------------------------------------------------------

    def _verify(self) -> None:
        assert self.hub is not None
        self.note("resolving the unanswered attempts, waiting for the log and every delivery")
        unresolved = self.load.resolve(timeout=90)
        self.report.check(not unresolved, f"{len(unresolved)} signings never got 201/409")
        deadline = time.monotonic() + self.plan.settle_timeout
        # The log first: how long it takes to catch up is a figure of its own.
        log = self._wait_for_log(deadline)
        settled, why = self._settle(deadline)
        self.report.check(settled, f"not settled in {self.plan.settle_timeout}s: {why}")
        counts = self._api_counts()
        report = self.report
        report.figures["faults"] = [
            {k: v for k, v in x.items() if k != "window"} for x in self.fault_log
        ]
        report.figures["graceful"] = self._graceful_figures()
        report.figures["signing"] = self.load.figures()
        report.failures += violations(self.load.pairs)
        checks.check_signatures(
            report, self.database_urls["petitions"], self.load.pairs, self.tokens, counts
        )
        checks.check_events(report, self.database_urls, self.subscribers)
        last = report.figures.pop("last_counts", {})
        for petition_id, count in counts.items():
            report.check(
                last.get(petition_id) == count,
                f"petition {petition_id}: agencies last heard {last.get(petition_id)}, "
                f"the count is {count}",
            )
        if log is not None:
            self._check_log(log, counts)
        self._check_personal_data(log)

    def _wait_for_log(self, deadline: float) -> checks.LogView | None:
        """Read the log (HTTP, verified) until it holds every accepted signature, or time is up."""
        stored = checks.stored_commitments(self.database_urls["petitions"])
        began = time.monotonic()
        view, why = None, "never read"
        behind: int | None = None  # accepted signatures not in the log when the wait began
        while True:
            try:
                view = checks.read_log(self.tlog_url, self.log_vkey)
                why = checks.log_caught_up(view, stored, self.petition_ids)
                if behind is None:
                    in_log = sum(len(v) for v in view.signs().values())
                    behind = sum(len(v) for v in stored.values()) - in_log
            except (Unavailable, VerifyError) as error:
                view, why = None, str(error)
            if not why or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        now = time.monotonic()
        self.report.check(not why, f"log not caught up within the settle timeout: {why}")
        last_fault_end = self.fault_log[-1]["window"][1] if self.fault_log else began
        self.report.figures["log"] = {
            "waited_after_the_load_s": round(now - began, 1),
            "caught_up_after_last_fault_s": round(now - last_fault_end, 1) if not why else None,
            "behind_when_the_load_ended": behind,
            "checkpoints_sampled": len(self.checkpoints),
            "accepted_while_transparency_restarted": {
                x["fault"]: sum(
                    1
                    for p in self.load.pairs
                    for a in p.attempts
                    if a.kind == "ok" and x["window"][0] <= a.at <= x["window"][1]
                )
                for x in self.fault_log
                if x["fault"].endswith(":transparency")
            },
        }
        return view

    def _check_log(self, view: checks.LogView, counts: dict[str, int]) -> None:
        acknowledged: dict[str, list[bytes]] = {}
        for pair in self.load.pairs:
            ack = pair.acknowledged
            if ack is not None and ack.commitment is not None:
                acknowledged.setdefault(pair.petition_id, []).append(bytes.fromhex(ack.commitment))
        stored = checks.stored_commitments(self.database_urls["petitions"])
        checks.check_log(self.report, view, counts, stored, acknowledged)
        for seen in self.checkpoints:
            problem = checks.log_consistent(self.tlog_url, seen, view.checkpoint)
            self.report.check(problem is None, f"log: the final checkpoint forks: {problem}")
        self.report.check(
            self._log_vkey() == self.log_vkey, "log: its verifier key changed during the run"
        )

    def _graceful_figures(self) -> dict[str, Any]:
        """During SIGTERM restarts: answers lost in flight (must be none), exit statuses."""
        assert self.hub is not None
        windows = [x["window"] for x in self.fault_log if x["fault"].startswith("term:")]
        during = [
            a
            for p in self.load.pairs
            for a in p.attempts
            if any(begin <= a.at <= end for begin, end in windows)
        ]
        terminated = {
            x["fault"].split(":")[1] for x in self.fault_log if x["fault"].startswith("term:")
        }
        return {
            "requests": len(during),
            "answered_201": sum(1 for a in during if a.kind == "ok"),
            "refused": sum(1 for a in during if a.kind == "refused"),
            "no_answer": sum(1 for a in during if a.kind == "ambiguous"),
            "http_errors": [f"{a.status} {a.code}" for a in during if a.kind == "error"],
            "exit_codes": {p: self.hub.exit_codes[p][0] for p in sorted(terminated)},
        }

    def _settle(self, deadline: float) -> tuple[bool, str]:
        why = ""
        while time.monotonic() < deadline:
            done, why = checks.delivered_everything(self.database_urls, self.subscribers)
            if done and self._counts_announced():
                return True, why
            time.sleep(1.0)
        return False, why

    def _counts_announced(self) -> bool:
        rows = checks.query(
            self.database_urls["petitions"],
            "SELECT a.petition_id FROM petition_count_announcements a "
            "JOIN (SELECT petition_id, sum(count) AS n FROM petition_count_shards GROUP BY 1) s "
            "ON s.petition_id = a.petition_id WHERE a.announced_count <> s.n",
        )
        return not rows

    def _api_counts(self) -> dict[str, int]:
        assert self.hub is not None
        base = self.hub.url("petitions") + "/api/petitions/"
        return {
            p: int(requests.get(base + p, timeout=15).json()["signature_count"])
            for p in self.petition_ids
        }

    def _check_personal_data(self, log: checks.LogView | None) -> None:
        """Kept apart from the invariants: ``personal_data`` and ``secrets`` list what leaked."""
        assert self.hub is not None
        logs = self.hub.logs().replace(self.hub.logs_of("cli"), "")  # the CLI prints secrets
        texts = {"logs": logs}
        for service in ("identity", "petitions", "notifications", "transparency"):
            texts[f"{service} metrics"] = requests.get(
                self.hub.metrics_url(service), timeout=15
            ).text
        for sub in self.subscribers:
            texts[f"{sub.receiver.name} events"] = json.dumps(
                sub.receiver.bodies(), ensure_ascii=False
            )
        if log is not None:
            texts["transparency log entries"] = log.text()
        known = [
            *self.tokens,
            *(c["client_secret"] for c in self.clients.values()),
            *(s.receiver.secret or "" for s in self.subscribers),
        ]
        for where, text in texts.items():
            self.personal_data += checks.personal_data_leaks(text, self.people, where)
            self.secrets += checks.secret_leaks(text, known, where)
        self.login_hints_logged = sum(logs.count(p.key) for p in self.people)
        self.report.figures["personal_data_leaks"] = len(self.personal_data)
        self.report.figures["secret_leaks"] = len(self.secrets)


def summary(run: Run) -> str:
    report = run.report
    f = report.figures
    s = f.get("signing", {})
    lines = [
        "fault-injection run:",
        "  faults: "
        + ", ".join(f"{x['fault']} ({x['recovered_in_s']}s)" for x in f.get("faults", [])),
        f"  signatures: attempted {s.get('pairs_attempted')} (requests {s.get('requests')}), "
        f"acknowledged {s.get('acknowledged_201')}, stored {f.get('signatures_stored')} "
        f"(expected {s.get('expected_stored')}; "
        f"stored late after no answer {s.get('stored_late')}); "
        f"refused {s.get('refused')}, HTTP errors {s.get('http_errors')}, "
        f"no answer {s.get('no_response')}, 409 {s.get('already_signed_409')}; "
        f"errors {s.get('errors_by_status')}",
        f"  events: {f.get('events_public')} public {f.get('events_by_type')}",
        f"  transparency log: {f.get('log')}",
        f"  deliveries: {f.get('deliveries_unique')} unique; duplicates suppressed by webhook-id: "
        f"{f.get('duplicates_suppressed_by_webhook_id')}; dead letters {f.get('dead_letters')}",
        f"  outbox unsent: {f.get('outbox_unsent')}; exit codes at stop: "
        f"{f.get('exit_codes_at_stop')}",
        f"  personal data found in logs/metrics/events: {f.get('personal_data_leaks')}; "
        f"secrets found: {f.get('secret_leaks')}",
        f"  rolling restart (SIGTERM): {f.get('graceful')}",
        f"  took {f.get('seconds')}s; logs in {f.get('logs')}",
    ]
    if report.failures:
        lines.append("FAILURES:")
        lines += [f"  - {x}" for x in report.failures]
    else:
        lines.append("every invariant held")
    for title, found in (("PERSONAL DATA", run.personal_data), ("SECRETS", run.secrets)):
        if found:
            lines.append(f"{title} FOUND ({len(found)}):")
            lines += [f"  - {x}" for x in sorted(set(found))[:10]]
    if run.login_hints_logged:
        lines.append(f"note: login_hint values appear {run.login_hints_logged} times in the logs")
    return "\n".join(lines)

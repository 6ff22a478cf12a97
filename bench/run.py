"""The bench's phases, in order, on one hub started for the run."""

from __future__ import annotations

import math
import os
import time
import uuid
from pathlib import Path
from typing import Any

import eventlet

from bench import ceilings, citizens, load, tlog
from bench.hot import hot_petition
from bench.hub import Hub, hub_environment
from bench.infra import Infra, write_identities
from bench.stats import percentiles
from bench.webhooks import WebhookReceiver

COUNT_EVENT = "petition.signature_count_changed"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _cpu_per(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    """CPU milliseconds each hub process spent per unit of work between two snapshots: what
    bounds throughput on this machine whatever else runs on it."""
    return {k: round((after[k] - before.get(k, 0.0)) * 1000 / max(1, n), 2) for k in after}


def _loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


class Bench:
    def __init__(self, profile: Any, out_dir: Path, quick: bool) -> None:
        self.p = profile
        self.out_dir = out_dir
        self.quick = quick
        self.run_id = uuid.uuid4().hex[:8]
        self.infra = Infra(
            os.environ.get(
                "HUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
            ),
            os.environ.get("HUB_BENCH_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            self.run_id,
        )
        self.hub: Hub | None = None
        self.receiver = WebhookReceiver()
        self._cleaned = False
        self.identities_file: Path | None = None

    def run(self) -> dict[str, Any]:
        p = self.p
        report: dict[str, Any] = {"run_id": self.run_id}
        log(f"run {self.run_id}: databases and vhost")
        self.infra.setup()
        self.identities_file = identities_file = self.out_dir / f"identities-{self.run_id}.yaml"
        keys = write_identities(identities_file, p.citizens)
        env = hub_environment(
            self.infra.database_urls, self.infra.amqp_uri, self.out_dir / "data", identities_file
        )
        processes = {
            "identity": p.identity_processes or p.processes,
            "petitions": p.processes,
            "notifications": 1,
        }
        for service, count in processes.items():
            env[f"{service.upper()}_PROCESSES"] = str(count)
        report["processes"] = processes
        self.hub = hub = Hub(env, self.out_dir / "hub.log")
        log(f"starting the hub (python -m hub up), processes per service: {processes}")
        report["machine"] = {
            "loadavg_at_start": _loadavg(),
            "postgres_max_connections": self.infra.max_connections,
        }
        hub.start()
        # registering clients writes to the identity database: no need to wait for the hub
        clients = hub.create_clients("http://127.0.0.1:1/callback")
        hub.wait_ready()
        config = citizens.discovery(hub.url("identity"))
        agency_token = citizens.client_credentials(config, clients["agency"], "events:subscribe")
        secret = citizens.subscribe(
            hub.url("notifications"), agency_token, self.receiver.url, [COUNT_EVENT]
        )
        self.receiver.start(secret)  # nothing is sent before a petition is signed

        log(f"logging {p.citizens} citizens in ({p.login_concurrency} browsers at a time)")
        cpu = hub.cpu_seconds()
        tokens, rate, errors = citizens.login_all(config, clients["app"], keys, p.login_concurrency)
        report["cpu_ms_per_login"] = _cpu_per(cpu, hub.cpu_seconds(), len(tokens))
        report["logins_per_second"] = round(rate, 1)
        report["logins"] = {
            "ok": len(tokens),
            "failed": len(errors),
            "errors": errors[:5],
            "concurrency": p.login_concurrency,
        }
        if len(tokens) < max(2, p.citizens // 2):
            raise RuntimeError(f"too few logins succeeded: {errors[:3]}")
        log(f"{len(tokens)} logins at {rate:.1f}/s")

        operator = citizens.client_credentials(config, clients["operator"], "petitions:moderate")
        url = hub.url("petitions")
        n = len(tokens)
        planned = p.max_rate_planned * (p.warmup_s + p.sustained_s)
        sustained = citizens.open_petitions(
            url, tokens[0], operator, math.ceil(planned / n), "sustained"
        )
        fixed = citizens.open_petitions(
            url, tokens[0], operator, math.ceil(p.rate * p.fixed_rate_s * 1.2 / n) + 1, "fixed"
        )
        hot_id = citizens.open_petitions(url, tokens[0], operator, 1, "hot")[0]
        proof = citizens.open_petitions(
            url, tokens[0], operator, math.ceil(p.proof_rate * p.proof_s * 1.2 / n) + 1, "proof"
        )

        log(f"closed loop: {p.workers} clients, {p.warmup_s:g} s warm-up + {p.sustained_s:g} s")
        cpu = hub.cpu_seconds()
        closed = load.closed_loop(
            url, load.spread(tokens, sustained), p.workers, p.warmup_s, p.sustained_s
        )
        closed["cpu_ms_per_signature"] = _cpu_per(
            cpu, hub.cpu_seconds(), closed["accepted_including_warmup"]
        )
        report["signatures_per_second"] = round(closed["signatures_per_second"], 1)
        report["sustained"] = closed
        log(f"{closed['signatures_per_second']:.1f} accepted signatures/s; {closed['statuses']}")
        if closed["pairs_exhausted"]:
            log(
                f"the planned (citizen, petition) pairs ran out after {closed['measured_s']:.1f} s:"
                " the rate is over that time; more --citizens give a longer run"
            )

        log(f"open loop: {p.rate:g} signatures/s offered for {p.fixed_rate_s:g} s")
        report.update(self._fixed_rate(url, tokens, fixed))
        report["counts_check"] = self._counts_check(url, sustained + fixed, closed, report)

        report["settle_s"] = self._settle(p.drain_s * 3)
        tlog_url = hub.url("transparency") + "/tlog"
        log(f"receipt proofs: {p.proof_rate:g} signatures/s for {p.proof_s:g} s, proofs polled")
        lag = tlog.proof_lag(
            url, tlog_url, load.petition_major(tokens, proof), p.proof_rate, p.proof_s
        )
        report["receipt_proof_lag_ms"] = lag["lag_ms"]
        report["receipt_proofs"] = lag
        log(f"receipt proof lag {lag['lag_ms']}; censored {lag['censored']}")
        log("ceilings: INSERT, confirmed publish, token verification")
        db = self.infra.database_urls["ceiling"]
        insert1 = ceilings.insert_ceiling(db, p.ceiling_s, connections=1)
        insert_n = ceilings.insert_ceiling(db, p.ceiling_s, connections=p.ceiling_connections)
        publish = ceilings.publish_ceiling(self.infra.amqp_uri, p.ceiling_s)
        verify = ceilings.token_verify_cost(tokens, p.verify_iterations)
        sps = closed["signatures_per_second"]
        report.update(
            insert_ceiling_rows_per_second=round(insert1["rows_per_second"], 1),
            insert_ceiling_concurrent_rows_per_second=round(insert_n["rows_per_second"], 1),
            publish_ceiling_per_second=round(publish["per_second"], 1),
            ratio_to_insert_ceiling=round(sps / insert1["rows_per_second"], 3),
            ratio_to_insert_ceiling_concurrent=round(sps / insert_n["rows_per_second"], 3),
            ratio_to_publish_ceiling=round(sps / publish["per_second"], 3),
            token_verify_us=round(verify["us_per_verify"], 1),
            ceilings={
                "insert": insert1,
                "insert_concurrent": insert_n,
                "publish": publish,
                "token_verify": verify,
            },
        )

        log(f"hot petition: {p.hot:,} signatures through the group commit (no HTTP)")
        watcher = tlog.SizeWatcher(tlog_url)
        watcher.start()
        eventlet.sleep(0.5)
        size_before = watcher.samples[-1][1] if watcher.samples else 0
        report["hot_petition"] = hot_petition(
            self.infra.database_urls["petitions"],
            hot_id,
            p.hot,
            p.hot_processes,
            p.hot_concurrency,
            p.hot_window_s,
            p.hot_max_s,
        )
        signed = report["hot_petition"].get("signatures") or 0
        log(f"the log integrates the hot petition's {signed:,} leaves")
        caught_up = watcher.wait_for(size_before + signed, p.log_catch_up_s)
        watcher.stop()
        integration = watcher.rate(size_before)
        integration["caught_up"] = caught_up
        report["log_integration"] = integration
        report["log_leaves_per_second"] = integration["per_second"]
        log(f"log: {integration}")
        size_after = watcher.samples[-1][1] if watcher.samples else 0
        log("recount of the hot petition with hub-verify")
        counted = tlog.recount(tlog_url, url, hot_id, size_after)
        report["recount"] = counted
        report["recount_seconds_per_million"] = counted["seconds_per_million"]
        log(f"recount: {counted}")
        report["log_storage"] = tlog.storage(self.infra.database_urls["transparency"], size_after)
        report["machine"]["loadavg_at_end"] = _loadavg()
        report["rss_mb"] = {k: round(v, 1) for k, v in hub.peak_rss_mb().items()}
        report["webhooks"] = {
            "received": self.receiver.received,
            "rejected": len(self.receiver.rejected),
        }
        return report

    def _fixed_rate(self, url: str, tokens: list[str], fixed: list[str]) -> dict[str, Any]:
        p = self.p
        poller = load.CountPoller(url, interval=0.025)
        result = load.open_loop(
            url,
            load.petition_major(tokens, fixed),
            p.rate,
            p.fixed_rate_s,
            poller,
            p.request_timeout_s,
            int(p.rate * 2),  # at most 2 s of offered load outstanding
        )
        accepted_at = result.pop("_accepted_at")
        poller_thread = result.pop("_poller")
        deadline = time.perf_counter() + p.drain_s
        while time.perf_counter() < deadline and any(
            poller.seen.get(pid, 0) < n or self.receiver.highest(pid) < n
            for pid, n in poller.accepted.items()
        ):
            eventlet.sleep(0.05)
        poller.stop()
        poller_thread.wait()
        horizon = time.perf_counter()
        count_lags, count_missing = load.lags(accepted_at, poller.observations, horizon)
        hooks: dict[str, list[tuple[float, int]]] = {}
        for at, pid, count in self.receiver.counts:
            hooks.setdefault(pid, []).append((at, count))
        hook_lags, hook_missing = load.lags(accepted_at, hooks, horizon)
        result["count_polls"] = poller.polls
        result["count_poll_errors"] = poller.errors
        result["count_lag_censored"] = count_missing
        result["webhook_lag_censored"] = hook_missing
        log(f"latency {result['latency_ms']}; {result['statuses']}")
        return {
            "sign_latency_ms": result["latency_ms"],
            "count_lag_ms": percentiles(count_lags, (50, 99), scale=1000),
            "webhook_lag_ms": percentiles(hook_lags, (50, 99), scale=1000),
            "fixed_rate": result,
        }

    def _counts_check(
        self, url: str, petition_ids: list[str], closed: dict[str, Any], report: dict[str, Any]
    ) -> dict[str, Any]:
        """Every accepted signature is counted (GET of each petition)."""
        from bench.http import Connections

        conns = Connections()
        try:
            counted = sum(
                int(conns.get(f"{url}/api/petitions/{pid}").json()["signature_count"])
                for pid in petition_ids
            )
        finally:
            conns.close()
        accepted = closed["accepted_including_warmup"] + report["fixed_rate"]["accepted"]
        timed_out = report["fixed_rate"]["statuses"].get("0", 0)  # may have committed anyway
        ok = accepted <= counted <= accepted + timed_out
        return {"accepted": accepted, "counted": counted, "ok": ok}

    def _settle(self, limit: float) -> float:
        """Wait (at most ``limit`` s) until the hub is idle again: requests the fixed-rate phase
        gave up on are still being served, and would weigh on the next phases."""
        assert self.hub is not None
        started = time.perf_counter()
        before = sum(self.hub.cpu_seconds().values())
        while time.perf_counter() - started < limit:
            eventlet.sleep(0.5)
            now = sum(self.hub.cpu_seconds().values())
            if now - before < 0.5 * 0.5:  # under half a core across the hub
                break
            before = now
        return round(time.perf_counter() - started, 1)

    def hub_log(self) -> str:
        return self.hub.log_tail() if self.hub else ""

    def cleanup(self) -> list[str]:
        if self._cleaned:
            return []
        self._cleaned = True
        problems = []
        self.receiver.stop()
        if self.hub is not None:
            try:
                code = self.hub.stop()
                if code not in (0, None):
                    problems.append(f"hub up exited with status {code}")
            except Exception as exc:  # noqa: BLE001
                problems.append(f"stopping the hub: {exc}")
        problems += self.infra.teardown()
        if self.identities_file is not None:
            self.identities_file.unlink(missing_ok=True)
        for problem in problems:
            log(problem)
        return problems

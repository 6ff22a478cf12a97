"""`hub-verify`: check the participation hub's transparency log yourself.

Exit codes (stable; the README explains them):
  0  every check holds
  1  a check failed or an anomaly was found (a bad receipt, a recount mismatch, a fork...)
  2  usage error (bad arguments, unreadable file)
  3  the log or the API could not be reached or answered unexpectedly
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hub_verify.errors import VerifyError
from hub_verify.fetch import Remote, Unavailable

OK, FAILED, USAGE, UNAVAILABLE = 0, 1, 2, 3


class UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors, as documented
    try:
        code: int = args.run(args)
        return code
    except UsageError as error:
        _fail(args, USAGE, f"hub-verify: {error}")
        return USAGE
    except Unavailable as error:
        _fail(args, UNAVAILABLE, f"hub-verify: unavailable: {error}")
        return UNAVAILABLE
    except VerifyError as error:
        _fail(args, FAILED, f"hub-verify: check failed: {error}")
        return FAILED
    except KeyboardInterrupt:
        return 130


def _fail(args: argparse.Namespace, code: int, message: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "exit_code": code, "error": message}))
    else:
        print(message, file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub-verify",
        description="Check the participation hub's transparency log: receipts, recounts, "
        "monitoring, witnessing. Exit codes: 0 all checks hold, 1 a check failed, "
        "2 usage error, 3 network or server unavailable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    receipt = commands.add_parser("receipt", help="check a .tlog-proof receipt (offline)")
    receipt.add_argument("file", metavar="FILE", help="the .tlog-proof file")
    mine = receipt.add_mutually_exclusive_group()
    mine.add_argument("--commitment", metavar="HEX", help="the receipt's commitment (64 hex)")
    mine.add_argument("--secret", metavar="HEX", help="your receipt secret (64 hex)")
    _trust_options(receipt, log_option=True)
    receipt.set_defaults(run=_receipt)

    count = commands.add_parser("recount", help="recount a petition from the log")
    count.add_argument("petition_id", metavar="PETITION_ID")
    count.add_argument("--log", required=True, metavar="URL", help="the log's base URL (…/tlog)")
    count.add_argument("--api", metavar="URL", help="the petitions site, to compare its count")
    _trust_options(count)
    count.set_defaults(run=_recount)

    watch = commands.add_parser("monitor", help="check the log only grows (run it regularly)")
    watch.add_argument("--log", required=True, metavar="URL", help="the log's base URL (…/tlog)")
    watch.add_argument("--state", required=True, metavar="DIR", help="where to keep what it saw")
    _trust_options(watch)
    watch.set_defaults(run=_monitor)

    witness = commands.add_parser("witness", help="run a C2SP witness that cosigns the log")
    witness_commands = witness.add_subparsers(dest="witness_command", required=True)
    serve = witness_commands.add_parser("serve", help="serve add-checkpoint over HTTP")
    serve.add_argument("--listen", required=True, metavar="HOST:PORT")
    serve.add_argument("--key", required=True, metavar="FILE", help="the witness's secret key")
    serve.add_argument(
        "--log",
        required=True,
        action="append",
        metavar="VKEY",
        help="a log's verifier key (repeatable)",
    )
    serve.add_argument("--state", required=True, metavar="DIR")
    serve.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(run=_witness_serve)
    keygen = witness_commands.add_parser("keygen", help="make a witness key")
    keygen.add_argument("name", metavar="NAME", help="e.g. witness.example.org/hub")
    keygen.add_argument("--out", required=True, metavar="FILE", help="secret key file (0600)")
    keygen.add_argument("--json", action="store_true", help="print JSON")
    keygen.set_defaults(run=_witness_keygen)
    return parser


def _trust_options(parser: argparse.ArgumentParser, log_option: bool = False) -> None:
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--vkey", metavar="KEY", help="the log's verifier key")
    trust.add_argument("--policy", metavar="FILE", help="a C2SP tlog-policy file (log + witnesses)")
    if log_option:
        parser.add_argument("--log", metavar="URL", help="fetch the log's key from URL/vkey")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _policy(args: argparse.Namespace, remote: Remote | None):  # -> Policy
    from hub_verify.policy import Policy, parse_policy

    if args.vkey:
        return Policy.from_vkey(args.vkey)
    if args.policy:
        return parse_policy(_read(args.policy).decode("utf-8", "replace"))
    if remote is None:
        raise UsageError("say which key to trust: --vkey KEY, --policy FILE or --log URL")
    vkey = remote.get("vkey").decode("ascii", "replace").strip()
    print(
        f"hub-verify: warning: trusting the key the log itself serves ({remote.url('vkey')}); "
        "pass --vkey or --policy from a source you trust",
        file=sys.stderr,
    )
    return Policy.from_vkey(vkey)


def _remote(url: str | None) -> Remote | None:
    if url is None:
        return None
    try:
        return Remote(url)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _report(args: argparse.Namespace, report, title: str) -> int:  # report: audit.Report
    if args.json:
        print(json.dumps(report.as_json(), indent=2, sort_keys=False))
    else:
        print(title)
        for name, ok, detail in report.checks:
            print(f"  {'ok  ' if ok else 'FAIL'}  {name}: {detail}")
        for anomaly in report.anomalies:
            print(f"  ANOMALY  {anomaly.kind} at entry {anomaly.index}: {anomaly.message}")
        print("All checks hold." if report.ok else "Some checks FAILED (see above).")
    return OK if report.ok else FAILED


def _receipt(args: argparse.Namespace) -> int:
    from hub_verify.audit import check_receipt, hex32

    data = _read(args.file)
    policy = _policy(args, _remote(args.log))
    secret = hex32(args.secret, "--secret") if args.secret else None
    expected = hex32(args.commitment, "--commitment") if args.commitment else None
    report = check_receipt(data, policy, secret=secret, expected=expected)
    return _report(args, report, f"Receipt {args.file}")


def _recount(args: argparse.Namespace) -> int:
    from hub_verify.audit import recount_petition

    remote = _remote(args.log)
    assert remote is not None
    policy = _policy(args, remote)
    report, result = recount_petition(remote, policy, args.petition_id, _remote(args.api))
    title = f"Recount of petition {args.petition_id}"
    if result is not None:
        title += (
            f": {result.count} signatures counted ({result.signs} signs, "
            f"{result.citizen_withdrawals} withdrawn by the signer, "
            f"{result.operator_withdrawals} by the operator)"
        )
    return _report(args, report, title)


def _monitor(args: argparse.Namespace) -> int:
    from hub_verify.audit import monitor

    remote = _remote(args.log)
    assert remote is not None
    report = monitor(remote, _policy(args, remote), Path(args.state))
    return _report(args, report, f"Monitor of {args.log}")


def _witness_keygen(args: argparse.Namespace) -> int:
    from hub_verify.note import cosigner_key

    try:
        skey, vkey = cosigner_key(args.name)
    except VerifyError as error:
        raise UsageError(f"bad witness name: {error}") from None
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise UsageError(f"cannot create {args.out}: {error.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(skey + "\n")
    if args.json:
        print(json.dumps({"vkey": vkey, "key_file": args.out}))
    else:
        print(vkey)
    return OK


def _witness_serve(args: argparse.Namespace) -> int:
    from hub_verify.witness import load_witness, make_server

    host, sep, port = args.listen.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError("--listen takes HOST:PORT")
    try:
        witness = load_witness(args.key, args.log, args.state)
    except OSError as error:
        raise UsageError(f"cannot read the key or the state: {error}") from None
    except VerifyError as error:
        raise UsageError(f"bad key: {error}") from None
    try:
        server = make_server(witness, host.strip("[]") or "127.0.0.1", int(port))
    except OSError as error:
        raise Unavailable(f"cannot listen on {args.listen}: {error.strerror}") from None
    bound_port = server.server_address[1]
    origins = ", ".join(witness.logs)
    print(f"witness listening on {host or '127.0.0.1'}:{bound_port} for {origins}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return OK


if __name__ == "__main__":
    sys.exit(main())

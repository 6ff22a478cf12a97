"""HTTP GETs for the verifier (urllib only). Nothing fetched is trusted: callers verify it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from hub_verify.errors import MalformedError

MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a full entry bundle is ~30 KB; a tile 8 KB
USER_AGENT = "hub-verify/0.1"


class Unavailable(Exception):
    """The server could not be reached or did not answer as expected (not a failed check)."""


class NotFound(Unavailable):
    """404: the resource does not exist (yet)."""


class Remote:
    """One HTTP base URL, e.g. the log's `{TRANSPARENCY_PUBLIC_URL}/tlog`."""

    def __init__(self, base_url: str, timeout: float = 20.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        self.base = base_url.rstrip("/")
        self.timeout = timeout

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def get(self, path: str) -> bytes:
        url = self.url(path)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 http(s) only (__init__)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                body: bytes = answer.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise NotFound(f"{url}: not found (404)") from None
            raise Unavailable(f"{url}: the server answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unavailable(f"{url}: cannot reach the server ({reason})") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise Unavailable(f"{url}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        return body

    def get_json(self, path: str) -> dict[str, object]:
        body = self.get(path)
        try:
            value = json.loads(body)
        except ValueError:
            raise MalformedError(f"{self.url(path)}: not JSON") from None
        if not isinstance(value, dict):
            raise MalformedError(f"{self.url(path)}: not a JSON object")
        return value

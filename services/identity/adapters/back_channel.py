"""The back channel to an upstream provider (token endpoint, userinfo): urllib3, kept alive.

NOTE: urllib3 itself rather than ``requests`` on top of it: requests' per-call machinery (prepared
request, hooks, cookie jar, adapter, response wrapper) is a large part of each call's CPU, on two
calls of every login (docs/capacity.md). What requests would add is unwanted here anyway: the pool
serves every citizen's login, so no cookie is ever kept or sent, ``~/.netrc`` never replaces the
userinfo Bearer header, and no redirect is followed (a token endpoint or userinfo that redirects
is refused, not chased). The environment's proxies and CA bundle are read once per provider host.

Green-safe under eventlet: urllib3's pool is a (patched) queue.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests.utils
import urllib3
from urllib3.exceptions import HTTPError

# Keep-alive connections kept per provider host: one per concurrent worker (nameko max_workers).
HTTP_POOL_SIZE = 50


class BackChannelError(Exception):
    """The provider could not be reached, or its answer could not be read."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str  # the media type alone, parameters dropped
    body: bytes

    @property
    def text(self) -> str:
        # NOTE: token answers are JSON (UTF-8, RFC 8259 8.1) and a compact JWS is ASCII.
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class BackChannel:
    """Calls to one provider's endpoints over pooled keep-alive connections."""

    def __init__(self, timeout: float, pool_size: int = HTTP_POOL_SIZE) -> None:
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.pool_size = pool_size
        self._ca_certs = ca_bundle()
        self._managers: dict[str, urllib3.PoolManager] = {}
        self._proxies: dict[str, dict[str, str]] = {}
        # NOTE: the provider's endpoints (from its discovery document, not from requests)
        self._direct: dict[str, tuple[Any, str]] = {}

    def post(self, url: str, body: str, headers: Mapping[str, str]) -> Answer:
        return self._request("POST", url, body.encode("utf-8"), headers)

    def get(self, url: str, headers: Mapping[str, str]) -> Answer:
        return self._request("GET", url, None, headers)

    def _request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        try:
            direct = self._direct_pool(url)
            if direct is None:
                response = self._manager_for(url).request(
                    method,
                    url,
                    body=body,
                    headers=dict(headers),
                    timeout=self.timeout,
                    retries=False,  # no retry (a code is single use) and no redirect
                    preload_content=True,
                )
            else:  # what PoolManager.urlopen does, its URL parsing and pool lookup done once
                pool, request_uri = direct
                response = pool.urlopen(
                    method,
                    request_uri,
                    body=body,
                    headers=dict(headers),
                    timeout=self.timeout,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=True,
                )
        except (HTTPError, OSError) as exc:
            raise BackChannelError(str(exc)) from None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return Answer(response.status, content_type.lower(), response.data)

    def _direct_pool(self, url: str) -> tuple[Any, str] | None:
        """The connection pool and request URI of an endpoint reached without a proxy (a proxy
        needs the PoolManager's per-request headers and URL form)."""
        found = self._direct.get(url)
        if found is None:
            manager = self._manager_for(url)
            if isinstance(manager, urllib3.ProxyManager):
                return None
            parts = urllib3.util.parse_url(url)
            found = self._direct[url] = (manager.connection_from_url(url), parts.request_uri)
        return found

    def proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for this scheme and host (``*_proxy``, ``no_proxy``), once."""
        origin = _origin(url)
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = self._proxies[origin] = requests.utils.get_environ_proxies(origin)
        return proxies

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        origin = _origin(url)
        manager = self._managers.get(origin)
        if manager is None:
            proxy = self.proxies_for(url).get(urlsplit(url).scheme)
            options: dict[str, Any] = {
                "maxsize": self.pool_size,
                "cert_reqs": "CERT_REQUIRED",
                "ca_certs": self._ca_certs,
            }
            manager = (
                urllib3.ProxyManager(proxy, num_pools=4, **options)
                if proxy
                else urllib3.PoolManager(num_pools=4, **options)
            )
            self._managers[origin] = manager
        return manager


def ca_bundle() -> str:
    """What requests would verify against: ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else
    certifi's bundle."""
    return (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

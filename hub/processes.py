"""The hub's processes and the nameko service class each one runs (imported on demand)."""

from __future__ import annotations

import importlib

SERVICE_CLASSES = {
    "identity": "services.identity.service:IdentityService",
    "petitions": "services.petitions.service:PetitionsService",
    "notifications": "services.notifications.service:NotificationsService",
    "transparency": "services.transparency.service:TransparencyService",
    "mock-idp": "services.mock_idp.service:MockIdentityProvider",
}


def service_class(process: str) -> type:
    module_name, _, class_name = SERVICE_CLASSES[process].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def all_service_classes() -> list[type]:
    return [service_class(p) for p in SERVICE_CLASSES]

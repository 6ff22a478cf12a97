"""Agencies' webhooks: subscriptions to the public petition events, their fan-out, and signed
deliveries (Standard Webhooks v1, CloudEvents 1.0) with retries and endpoint health."""

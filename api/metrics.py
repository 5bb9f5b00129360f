"""Prometheus metrics of one server process (own registry, so tests can build many apps)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()
REQUESTS = Counter("lianfang_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("lianfang_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
STORE_HEAD = Gauge("lianfang_store_head", "last position in the event store", registry=REGISTRY)
PROJECTION_POSITION = Gauge("lianfang_projection_position", "position the read side is current to", registry=REGISTRY)
PROJECTION_LAG = Gauge("lianfang_projection_lag_events", "events not yet projected", registry=REGISTRY)
LIVE_CLIENTS = Gauge("lianfang_live_clients", "open live-feed websockets", registry=REGISTRY)
DELTAS_SENT = Counter("lianfang_deltas_sent_total", "delta frames sent to live clients", registry=REGISTRY)
CLIENTS_DROPPED = Counter("lianfang_live_clients_dropped_total", "slow live clients closed", registry=REGISTRY)

"""The remote endpoint's pure cores: health checks (health.py) and Prometheus metrics
(metrics.py), answered from a status snapshot. The HTTP server, TLS and tokens come later."""

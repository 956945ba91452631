"""The runtime: pipelines, routes, retries, dead letters, dedup and rate limits."""

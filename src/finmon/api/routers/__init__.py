"""One router per resource, mounted under /v1 (health, metrics and docs at the root)."""

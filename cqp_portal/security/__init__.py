"""Cross-cutting protections: security headers (CSP) and a 503 page while the database is down."""

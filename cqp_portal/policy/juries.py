"""Rules for jury sessions, decisions and certificates (filled by the juries app)."""

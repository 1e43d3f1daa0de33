"""Rules for funding lines (filled by the financing app)."""

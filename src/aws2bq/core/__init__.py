"""The pure core: naming, type decisions, schema model and SQL generation. No I/O, no cloud SDKs."""

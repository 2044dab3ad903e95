"""Load orchestration: verify, land, profile, decide, type, apply + ledger; progress and reports."""

"""Launchers for the local emulators the tests and the demo run against (bqemulator, GCS)."""

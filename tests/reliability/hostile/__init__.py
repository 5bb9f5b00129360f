"""Hostile input (issue 15): control characters and poisoned events, replayed through HTTP, the CLI and
scenario files, in both modes."""

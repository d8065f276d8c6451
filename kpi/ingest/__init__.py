"""data/processed: the one hand-off between the inputs and everything after. kpi ingest reads what
kpi.toml names (registry, annexes, store or files), validates it, and writes the tidy tables atomically.

Enters: Config, Registry, stored and file inputs. Leaves: Processed (the tables every later stage reads).
"""

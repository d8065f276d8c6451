"""What the project tracks: the project file (kpi.toml), the registry in data/raw (indicators, regions,
plan targets, pacing) with its schemas, the plan's identity, the filling rules and plausibility bounds.

Enters: kpi.toml and data/raw. Leaves: Config, Registry, Rules and a schema for every tidy table.
"""

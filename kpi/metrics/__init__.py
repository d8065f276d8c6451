"""Every calculation: completion, 序时进度, status, ranks and the composite score; quarterly content,
trajectories toward the plan's targets, the plan assessed as a whole, the explorer's what-if.

Enters: processed tables. Leaves: boards and assessments as tidy DataFrames (no I/O).
"""

"""The kpi command: parses options, calls the stages, and decides what the user sees (a clear message and
an exit code for each kind of error, never a traceback).

Enters: the command line. Leaves: exit codes and messages; every file is written by a stage below.
"""

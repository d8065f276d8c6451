"""The kpi command: parses options, calls the stages, and decides what the user sees (a clear message and
an exit code for each kind of error, never a traceback).

Enters: the command line. Leaves: exit codes and messages; every file is written by a stage below.

Each command imports the stages it uses when it runs (inside its function, in every module here): ``kpi
--help`` and a refused option answer at once, without the second that pandas and the rest take to import.
"""

"""The spec evolution gate: ``make spec-check`` judges a change of ``openapi.yaml`` for the clients generated
from the released versions (``spec-history/``), and says whether its version number tells the truth.

* ``history.py``: the released specs, and semantic versions;
* ``judges.py``: the judges (this project's structural comparison, Specmatic, the old examples and recordings);
* ``old_client.py``: the old release's generated client against this checkout's mock of the new spec;
* ``verdict.py``: the table and the exit code;
* ``__main__.py``: the command, ``python -m spec_gate [--base FILE|REV] [--new FILE]``.
"""

"""The operator CLI (`netaudit`), shipped by a plain `pip install .`: `netaudit audit` and
`netaudit evidence verify` against a deployed stack, with what they need (history readers, the
progress display, the report text, copies of stored objects, exit codes).

It imports the product (`netaudit`), boto3 and the standard library only; never moto nor the
local runner (`netaudit_local`): tests/local/test_shipped_cli.py scans every import. The
development commands (`netaudit demo`, `netaudit check`) live in `netaudit_local` and are added
by `main` when that package (and, for the demo, moto) is installed. Not under functions/: SAM
zips functions/ into every Lambda, which runs none of this.
"""

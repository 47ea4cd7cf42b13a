"""Gates inside a running plan: steps that wait for a reviewer's decision before they run.

`hold.py` moves a gated step to awaiting_approval at the moment it would become ready (the
services that count dependencies down call it); `services.py` holds the reviewer's decisions;
`selectors.py` what the pages and the API show of a gate.
"""

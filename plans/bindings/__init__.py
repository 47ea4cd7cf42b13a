"""Bindings of an action step's inputs: literals, `{"$from": "<step>.result.<path>"}` and
`{"$input": "<name>"}`; the flow validator and the run-time resolution. Pure: no database."""

"""Guardrails: checks on what a step takes in before it runs and on what it gives out after.

`spec.py` checks a step's guardrails as submitted; the checks themselves run in the engine.
"""

"""Planner backends: `catalog` (deterministic, no model) and `llm` (an OpenAI-compatible chat
completions endpoint). settings.PLANGATE_PLANNER picks one (plans/planning/config.py)."""

"""Recovery recipes: what the engine does, by failure class, when a step's attempt fails."""

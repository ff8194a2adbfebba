"""Risk: the rubric as versioned data, factor derivation from verified evidence, scoring, explanation
and replay. rubric.py, factors.py and scoring.py are pure (Decimal arithmetic, no ORM), so a score is
a function of its stored inputs and rubric version and can be recomputed years later."""

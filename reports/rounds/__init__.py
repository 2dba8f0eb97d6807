"""Evaluation rounds: a frozen set of portals' harvests, scores and facts, and the results evaluators publish."""

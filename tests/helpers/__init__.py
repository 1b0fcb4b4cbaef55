"""Test scaffolding: tiny trained demos, the in-process CLI, the rotated twin of a biLM."""

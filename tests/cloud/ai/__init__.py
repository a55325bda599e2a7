"""Tests of the AI catalog normalizer (stocky.cloud.ai): pure, no database."""

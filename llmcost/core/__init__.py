"""Core: input validation shared by every layer. Imports nothing else of llmcost."""

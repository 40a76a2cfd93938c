"""Review console for support teams: conversations, NLU inbox, test stories, human handoff.

Reads Rasa's SQL tracker store into its own summary tables (see ``console.ingest``) and
serves an aiohttp app (``python -m console``). Nothing here imports Rasa at module level.
"""

"""Guards for the frameworks teams already use, each an optional import of its own:

- ``lockllm.integrations.openai_agents``: input and output guardrails for the OpenAI
  Agents SDK (``pip install -e ".[openai-agents]"``, Python 3.10+);
- ``lockllm.integrations.langchain``: agent middleware for ``create_agent`` and a
  runnable for chains (``pip install -e ".[langchain]"``, Python 3.11+);
- ``lockllm.integrations.mcp``: a guard around an MCP client session
  (``pip install -e ".[mcp]"``, Python 3.10+); ``lockllm mcp-proxy`` needs no SDK.

Importing ``lockllm.integrations`` imports none of the frameworks; each submodule imports
its own when it is imported.
"""

from __future__ import annotations

__all__: list[str] = []

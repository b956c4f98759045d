"""Context managers close the connection pool (the original README's "Context Manager Usage").

LOCKLLM_API_KEY=... python examples/context_manager.py
"""

from __future__ import annotations

import asyncio
import os

from lockllm import LockLLM

# Synchronous
with LockLLM(api_key=os.getenv("LOCKLLM_API_KEY")) as client:
    result = client.scan(input="test")
    print(f"Safe: {result.safe}")

# Asynchronous
from lockllm import AsyncLockLLM


async def main() -> None:
    async with AsyncLockLLM(api_key=os.getenv("LOCKLLM_API_KEY")) as client:
        result = await client.scan(input="test")
        print(f"Safe: {result.safe}")


asyncio.run(main())

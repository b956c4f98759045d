"""Typed use of the wrappers, checked by ``mypy --strict`` (see test_wrappers_typing.py).

Not a test module and never run: it only has to type-check, proving that the factories
return the SDKs' real client classes (not ``Any``) and that results need no casts.
"""

from __future__ import annotations

from typing import List, Optional

import anthropic
import cohere
import openai
from anthropic.types import ContentBlock, Message
from openai.types.chat import ChatCompletion

from lockllm import (
    ProxyMetadata,
    create_anthropic,
    create_async_anthropic,
    create_async_openai,
    create_cohere_client,
    create_groq,
    create_vertex_ai,
    parse_proxy_metadata,
)
from lockllm.errors import PromptInjectionError


def openai_answer(prompt: str) -> Optional[str]:
    client: openai.OpenAI = create_vertex_ai()
    client = create_groq(api_key="k", proxy_options={"scan_action": "block"}, max_retries=0)
    completion: ChatCompletion = client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": prompt}]
    )
    return completion.choices[0].message.content


def anthropic_first_block(prompt: str) -> ContentBlock:
    client = create_anthropic(api_key="k", timeout=10.0)
    message: Message = client.messages.create(
        model="claude-3-5-sonnet-20241022",
        max_tokens=64,
        messages=[{"role": "user", "content": prompt}],
    )
    first = message.content[0]
    if first.type == "text":
        print(first.text.upper())
    return first


async def async_calls(prompt: str) -> List[str]:
    oa = create_async_openai()
    completion = await oa.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": prompt}]
    )
    an: anthropic.AsyncAnthropic = create_async_anthropic()
    message = await an.messages.create(
        model="claude", max_tokens=8, messages=[{"role": "user", "content": prompt}]
    )
    return [completion.choices[0].message.content or "", message.id]


def streamed(prompt: str) -> str:
    stream = create_groq().chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": prompt}], stream=True
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream)


def raw_metadata(prompt: str) -> Optional[bool]:
    raw = create_groq().chat.completions.with_raw_response.create(
        model="gpt-4", messages=[{"role": "user", "content": prompt}]
    )
    meta: ProxyMetadata = parse_proxy_metadata(raw.headers)
    completion: ChatCompletion = raw.parse()
    print(completion.id, meta.request_id)
    return meta.safe


def cohere_native(prompt: str) -> cohere.ClientV2:
    return create_cohere_client(api_key="k")


def both_excepts(prompt: str) -> float:
    try:
        openai_answer(prompt)
    except PromptInjectionError as error:
        return error.scan_result.injection or 0.0
    except openai.BadRequestError as error:
        return float(error.status_code)
    return 0.0

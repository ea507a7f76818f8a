"""Translation with an OpenAI-compatible chat completions API, streamed token by token.

`base_url` points it at any compatible server (vLLM, llama.cpp, Ollama) instead of OpenAI.
"""

from __future__ import annotations

from collections.abc import Callable

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from rtc_server.languages import display_name
from rtc_server.translation.base import FailureKind, TranslationError, TranslationRequest

REFUSED_CODES = frozenset({"insufficient_quota", "invalid_api_key", "billing_hard_limit_reached"})


class OpenAITranslator:
    name = "openai"

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        temperature: float,
        glossary: dict[str, str],
        context_sentences: int,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature
        self._glossary = glossary
        self._context_sentences = context_sentences

    @property
    def targets(self) -> list[str]:
        return ["*"]

    def supports(self, target: str) -> bool:
        return True

    def unavailable_reason(self, target: str) -> str:
        return ""

    def build_messages(
        self, request: TranslationRequest, target: str
    ) -> list[ChatCompletionMessageParam]:
        source = display_name(request.source_language) if request.source_language else "the"
        lines = [
            f"You translate live captions from {source} language to {display_name(target)}.",
            "Reply with the translation of the user's sentence only: no quotes, notes, "
            "alternatives or explanations. Keep names and numbers as they are. If the sentence "
            f"is already in {display_name(target)}, repeat it unchanged.",
        ]
        if self._glossary:
            lines.append("Glossary (always render these terms exactly like this):")
            lines += [f"- {term} → {rendering}" for term, rendering in self._glossary.items()]
        context = request.context[-self._context_sentences :] if self._context_sentences else ()
        if context:
            lines.append("The speaker said just before (context only, do not translate):")
            lines += [f"> {sentence}" for sentence in context]
        return [
            {"role": "system", "content": "\n".join(lines)},
            {"role": "user", "content": request.text},
        ]

    async def translate(
        self, request: TranslationRequest, target: str, on_text: Callable[[str], None]
    ) -> str:
        text = ""
        try:
            stream = await self._client.chat.completions.create(
                model=self._model,
                messages=self.build_messages(request, target),
                temperature=self._temperature,
                stream=True,
            )
            async for chunk in stream:
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    text += delta
                    on_text(text.strip())
        except openai.APIStatusError as error:
            raise _classify(error) from error
        except openai.APIError as error:  # connection refused/reset, timeout, stream cut off
            raise TranslationError(
                FailureKind.TRANSIENT, f"translation service: {error}"
            ) from error
        except OSError as error:
            raise TranslationError(
                FailureKind.TRANSIENT, f"translation service: {error}"
            ) from error
        if not text.strip():
            raise TranslationError(FailureKind.TRANSIENT, "translation service returned nothing")
        return text.strip()


def _classify(error: openai.APIStatusError) -> TranslationError:
    body = error.body if isinstance(error.body, dict) else {}
    code = str(body.get("code") or (body.get("error") or {}).get("code") or "")
    status = error.status_code
    if status in (401, 403) or code in REFUSED_CODES:
        reason = "quota exhausted" if code == "insufficient_quota" else "key refused"
        return TranslationError(FailureKind.REFUSED, f"translation service {reason} ({status})")
    retry_after = _retry_after(error)
    return TranslationError(
        FailureKind.TRANSIENT, f"translation service answered {status}", retry_after=retry_after
    )


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

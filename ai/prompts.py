"""What the assistant sends to the provider: system instructions, the user's text and, for chat and
analyze, passages of documents the user may read. Nothing else leaves the system."""

from __future__ import annotations

SYSTEM = (
    "You are the assistant of a GMP quality management system. You help quality staff with controlled "
    "documents, deviations, CAPAs and training. Be precise and brief. Your answers are suggestions that a "
    "qualified person will review; never claim that something is approved or compliant."
)


def chat_messages(*, question: str, passages, history) -> list[dict]:
    if passages:
        sources = "\n\n".join(
            f"[{i}] {p.number} v{p.version or '-'}{f', page {p.page}' if p.page else ''} ({p.title}):\n{p.text}"
            for i, p in enumerate(passages, start=1)
        )
        grounding = (
            "Answer only from the numbered sources below and cite them as [1], [2], ... If they do not contain "
            f"the answer, say so.\n\nSources:\n{sources}"
        )
    else:
        grounding = "No document passages matched the question: say that the documents do not cover it."
    messages = [{"role": "system", "content": f"{SYSTEM}\n\n{grounding}"}]
    messages += [{"role": m.role, "content": m.content} for m in history]
    messages.append({"role": "user", "content": question})
    return messages


def generate_messages(*, prompt: str, kind: str) -> list[dict]:
    return [
        {
            "role": "system",
            "content": f"{SYSTEM}\n\nWrite a draft {kind} in Markdown (headings, numbered steps where useful). "
            "Return only the Markdown.",
        },
        {"role": "user", "content": prompt},
    ]


ANALYZE_FORMAT = (
    'Answer with a JSON object {"findings": [{"finding": str, "severity": "low"|"medium"|"high"|"critical", '
    '"location": {"page": int|null, "section": str}, "excerpt": str}]}. The excerpt quotes the text exactly. '
    "Pages are marked [page N] in the text. No findings: an empty list."
)


def analyze_messages(*, number: str, title: str, instructions: str, part: str, index: int, total: int) -> list[dict]:
    task = instructions.strip() or "Identify compliance issues, gaps and ambiguities."
    return [
        {"role": "system", "content": f"{SYSTEM}\n\nYou review document text. {ANALYZE_FORMAT}"},
        {
            "role": "user",
            "content": f"Document {number} ({title}), part {index} of {total}.\nTask: {task}\n\nText:\n{part}",
        },
    ]


def split_for_context(text: str, *, paged: bool, limit: int | None = None) -> list[str]:
    """The text in parts of at most `limit` characters (AI_CONTEXT_CHARS), cut at page or paragraph
    ends where possible; pages of a PDF are marked [page N]."""
    from django.conf import settings

    limit = limit or settings.AI_CONTEXT_CHARS
    if paged and "\f" in text:
        blocks = [f"[page {n}]\n{page.strip()}" for n, page in enumerate(text.split("\f"), start=1)]
    elif paged:
        blocks = [f"[page 1]\n{text.strip()}"]
    else:
        blocks = [b for b in text.split("\n\n") if b.strip()]
    parts, current = [], ""
    for block in blocks:
        while len(block) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(block[:limit])
            block = block[limit:]
        if current and len(current) + len(block) + 2 > limit:
            parts.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current:
        parts.append(current)
    return parts


SEVERITY_GUIDE = (
    "Classify the severity of a GMP deviation from its description. Critical: a risk to patients or to "
    "sterility that reached or could reach released product. High: an impact on product quality, a batch at "
    "risk. Medium: a GMP requirement missed with limited or no product impact. Low: a documentation or minor "
    'slip caught by a control. Answer with a JSON object {"severity": "Low"|"Medium"|"High"|"Critical", '
    '"confidence": a number from 0 to 1, "rationale": one sentence}.'
)


def severity_messages(*, description: str) -> list[dict]:
    return [
        {"role": "system", "content": f"{SYSTEM}\n\n{SEVERITY_GUIDE}"},
        {"role": "user", "content": f"Deviation description:\n{description}"},
    ]

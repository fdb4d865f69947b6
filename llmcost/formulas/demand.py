"""Inference demand: how many tokens a service generates per day, and the fleet it needs.

The chain of seed document 004: requests/day x questions per request x words per question
x tokens per word -> tokens/day -> FLOP/day (2 x params per token) -> sustained FLOP/s
-> accelerators at a utilization -> servers of 8. That chain is compute-bound;
:func:`accelerators_at_rate` sizes the fleet from a per-accelerator token rate instead, such as
the roofline's of ``llmcost.serving``.
"""

from __future__ import annotations

from .cluster import HOURS_PER_DAY, SECONDS_PER_HOUR, accelerators_for_throughput
from .flops import inference_flops
from ..core.validate import check_positive, finite_result

SECONDS_PER_DAY = HOURS_PER_DAY * SECONDS_PER_HOUR
TOKENS_PER_WORD_ENGLISH = 4 / 3
"""Tokens per English word: the 4/3 of seed 004's deck (``seed004``), OpenAI's rule of thumb that
100 tokens are about 75 words."""


@finite_result
def tokens_per_day(requests_per_day, words_per_query, tokens_per_word=TOKENS_PER_WORD_ENGLISH, queries_per_request=1):
    """Tokens processed per day, count: requests x queries each x words each x tokens per word."""
    requests_per_day = check_positive("requests_per_day", requests_per_day)
    words_per_query = check_positive("words_per_query", words_per_query)
    tokens_per_word = check_positive("tokens_per_word", tokens_per_word)
    queries_per_request = check_positive("queries_per_request", queries_per_request)
    return requests_per_day * queries_per_request * words_per_query * tokens_per_word


@finite_result
def inference_flops_per_day(params, tokens_per_day):
    """FLOP per day to generate ``tokens_per_day`` tokens with a ``params``-parameter model."""
    return inference_flops(params, check_positive("tokens_per_day", tokens_per_day))


@finite_result
def inference_accelerators(params, tokens_per_day, peak_flops, utilization):
    """Accelerators (fractional) that serve ``tokens_per_day`` around the clock."""
    flops_per_second = inference_flops_per_day(params, tokens_per_day) / SECONDS_PER_DAY
    return accelerators_for_throughput(flops_per_second, peak_flops, utilization)


@finite_result
def accelerators_at_rate(tokens_per_day, tokens_per_s_per_gpu):
    """Accelerators (fractional) that produce ``tokens_per_day`` around the clock at
    ``tokens_per_s_per_gpu`` each (e.g. ``llmcost.serving.serving_estimate``'s
    ``output_tokens_per_s_per_gpu``, memory- or compute-bound), count."""
    tokens_per_day = check_positive("tokens_per_day", tokens_per_day)
    return tokens_per_day / SECONDS_PER_DAY / check_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu)

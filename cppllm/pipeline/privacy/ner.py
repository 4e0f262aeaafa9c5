"""Names (and other PII) found by a token-classification model, StarPII-style (bigcode/starpii).

Optional, on top of the regex detectors of `cppllm.pipeline.privacy.pii`: a local model path, loaded lazily
(torch and transformers are imported on first use, so the pipeline imports without them). The filters are
bigcode's (arXiv:2305.06161, section 4): full names only, gibberish keys, public IPs.
"""

from __future__ import annotations

from cppllm.pipeline.privacy.pii import email_spans, is_redactable_ip
from cppllm.pipeline.privacy.secrets import Span, is_gibberish, merge_spans

_NER_KINDS = {
    "NAME": "name",
    "EMAIL": "email",
    "KEY": "key",
    "PASSWORD": "password",
    "IP_ADDRESS": "ip_address",
}


class NameDetector:
    """Token-classification NER (StarPII-style labels: NAME, EMAIL, KEY, PASSWORD, IP_ADDRESS).

    Loaded lazily from a local path (torch and transformers are imported on first use). Long documents
    are split into overlapping windows; bigcode's filters apply: names must be full names (two words
    or more), keys must be gibberish and longer than 8, IPs must be public, the rest longer than 3.
    """

    def __init__(self, model_path: str, *, device: str = "auto", max_length: int = 512, stride: int = 128):
        self.model_path = model_path
        self.device_name = device
        self.max_length = max_length
        self.stride = stride
        self._model = None

    def __getstate__(self) -> dict:  # the step pickles for workers: ship the path, not the model
        return {**self.__dict__, "_model": None}

    def _load(self):
        if self._model is None:
            from transformers import AutoModelForTokenClassification, AutoTokenizer

            from cppllm.device import pick_device

            tok = AutoTokenizer.from_pretrained(self.model_path)
            if not tok.is_fast:
                raise ValueError(f"{self.model_path}: NER needs a fast tokenizer (character offsets)")
            model = AutoModelForTokenClassification.from_pretrained(self.model_path)
            self.device = pick_device(self.device_name).device
            self._model = (tok, model.to(self.device).eval())
        return self._model

    def find(self, text: str, *, allow_example_domains: bool = True) -> list[Span]:
        import torch

        tok, model = self._load()
        max_len = min(self.max_length, getattr(tok, "model_max_length", self.max_length))
        enc = tok(
            text,
            return_offsets_mapping=True,
            return_overflowing_tokens=True,
            truncation=True,
            max_length=max_len,
            stride=min(self.stride, max_len // 2),
            padding=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping").tolist()
        enc.pop("overflow_to_sample_mapping", None)
        with torch.no_grad():
            labels = model(**{k: v.to(self.device) for k, v in enc.items()}).logits.argmax(-1).tolist()
        id2label = model.config.id2label
        raw: list[tuple[int, int, str]] = []
        for win_labels, win_offsets in zip(labels, offsets, strict=True):
            cur = None
            for lab, (s, e) in zip(win_labels, win_offsets, strict=True):
                if e <= s:
                    continue
                name = id2label[lab]
                tag = name.split("-", 1)[-1] if name[:2] in ("B-", "I-") else name
                kind = _NER_KINDS.get(tag)
                if (
                    kind
                    and cur
                    and cur[2] == kind
                    and not name.startswith("B-")
                    and not text[cur[1] : s].strip()
                ):
                    cur = (cur[0], e, kind)
                else:
                    if cur:
                        raw.append(cur)
                    cur = (s, e, kind) if kind else None
            if cur:
                raw.append(cur)
        out = []
        for s, e, kind in set(raw):
            value = text[s:e]
            if self._keep(value, kind, text, s, allow_example_domains):
                out.append(Span(s, e, kind, value, "ner"))
        return merge_spans(out)

    @staticmethod
    def _keep(value: str, kind: str, text: str, pos: int, allow_example_domains: bool) -> bool:
        if len(value) <= 3:
            return False
        if kind == "name":
            return len(value.split()) > 1
        if kind == "key":
            return len(value) > 8 and is_gibberish(value)
        if kind == "ip_address":
            return is_redactable_ip(value)
        if kind == "email":
            return bool(email_spans(value, 0, allow_example_domains))
        return True

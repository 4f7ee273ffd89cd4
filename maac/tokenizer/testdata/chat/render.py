"""Adds Python Jinja2 renderings to reference.json (written by render.js).

Usage: python3 render.py CHAT_DIR

Jinja2 is configured as Hugging Face transformers configures it for chat templates
(ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop controls, a tojson that
keeps key order and non-ASCII text, the {% generation %} tag, raise_exception, strftime_now),
with strftime_now pinned to the date collm uses (2024-07-26 00:00). Each rendering and strftime
entry of reference.json gets a "python" field beside "js".
"""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    """The {% generation %} block of transformers (it only marks assistant text)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


DATE = datetime(2024, 7, 26)


def strftime_now(fmt):
    return DATE.strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now


def chat_template(cfg):
    t = cfg["chat_template"]
    if isinstance(t, str):
        return t
    return next(x["template"] for x in t if x["name"] == "default")


def specials(cfg):
    def s(v):
        if isinstance(v, str):
            return v
        if isinstance(v, dict) and isinstance(v.get("content"), str):
            return v["content"]
        return None

    out = {}
    for key in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        v = s(cfg.get(key))
        if v:
            out[key] = v
    extra = [s(v) for v in cfg.get("additional_special_tokens") or []]
    if extra:
        out["additional_special_tokens"] = extra
    return out


def main():
    chat_dir = sys.argv[1]
    ref_path = os.path.join(chat_dir, "reference.json")
    with open(ref_path, encoding="utf-8") as f:
        ref = json.load(f)
    with open(os.path.join(chat_dir, "conversations.json"), encoding="utf-8") as f:
        convs = {c["name"]: c for c in json.load(f)["conversations"]}
    templates = {}
    for r in ref["renders"]:
        if r["model"] not in templates:
            with open(os.path.join(chat_dir, r["model"], "tokenizer_config.json"), encoding="utf-8") as f:
                cfg = json.load(f)
            templates[r["model"]] = (env.from_string(chat_template(cfg)), specials(cfg))
        tmpl, sp = templates[r["model"]]
        c = convs[r["conversation"]]
        r["python"] = tmpl.render(messages=c["messages"], add_generation_prompt=c["add_generation_prompt"],
                                  tools=None, documents=None, **sp)
    for s in ref["strftime"]:
        s["python"] = env.from_string("{{ strftime_now(f) }}").render(f=s["format"])
    ref["generator"]["jinja2"] = jinja2.__version__
    ref["generator"]["python"] = sys.version.split()[0]
    with open(ref_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(ref, ensure_ascii=False, indent=1) + "\n")
    same = sum(r["python"] == r["js"] for r in ref["renders"])
    print(f"render.py: {len(ref['renders'])} renderings, {same} identical to @huggingface/jinja's")


main()

#!/usr/bin/python3
"""Independent PyTorch reference for maac/lm: writes small random checkpoints and expected logits.

It re-implements, in plain torch (no transformers package), the decoder of Hugging Face's
LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM from their published formulas:
RMSNorm, rotate-half RoPE with rope_theta, grouped-query attention (repeat_kv), SwiGLU MLP,
q/k/v biases (Qwen2), per-head q_norm/k_norm before RoPE (Qwen3), explicit head_dim,
tied or untied lm_head. Padding follows HF: left padding, position_ids = cumsum(mask)-1
clamped at 0, padded keys masked out.

Regenerate the fixtures (Debian: apt-get install -y python3-torch):
    cd maac/lm/testdata && /usr/bin/python3 reference.py   (Debian python, not a pyenv one)
The Go test (TestReferenceLogits) reads them and needs no torch.
"""
import json
import os
import struct

import torch

torch.manual_seed(1234)

CASES = {
    # Llama, untied, GQA (4 query heads over 2 kv heads).
    "llama_untied_gqa": dict(arch="LlamaForCausalLM", model_type="llama", vocab=64, d=32, inter=48,
                             layers=2, heads=4, kv=2, head_dim=8, tie=False, attn_bias=False,
                             theta=10000.0, eps=1e-5, dtype="float32"),
    # Llama with attention_bias: biases on q, k, v and o; plain multi-head attention.
    "llama_attnbias_mha": dict(arch="LlamaForCausalLM", model_type="llama", vocab=64, d=24, inter=32,
                               layers=1, heads=3, kv=3, head_dim=8, tie=True, attn_bias=True,
                               theta=500000.0, eps=1e-5, dtype="float32"),
    # Qwen2: q/k/v biases, tied embeddings, MQA, weights stored in bfloat16.
    "qwen2_bias_tied_bf16": dict(arch="Qwen2ForCausalLM", model_type="qwen2", vocab=64, d=32, inter=40,
                                 layers=2, heads=4, kv=1, head_dim=8, tie=True, attn_bias=False,
                                 theta=1000000.0, eps=1e-6, dtype="bfloat16"),
    # Qwen3: q/k norm, explicit head_dim (16 != 32/4), GQA, untied.
    "qwen3_qknorm_headdim": dict(arch="Qwen3ForCausalLM", model_type="qwen3", vocab=64, d=32, inter=48,
                                 layers=2, heads=4, kv=2, head_dim=16, tie=False, attn_bias=False,
                                 theta=1000000.0, eps=1e-6, dtype="float32"),
}

IDS = [[5, 17, 3, 60, 22, 9, 41], [0, 0, 12, 7, 33, 2, 63]]
MASK = [[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]]


def make_weights(c):
    d, hd, inter = c["d"], c["head_dim"], c["inter"]
    q, kv = c["heads"] * hd, c["kv"] * hd
    w = {}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape) * std

    def norm(n):
        return 1.0 + 0.1 * torch.randn(n)

    w["model.embed_tokens.weight"] = rnd(c["vocab"], d, std=0.5)
    for l in range(c["layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = norm(d)
        w[p + "self_attn.q_proj.weight"] = rnd(q, d)
        w[p + "self_attn.k_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.v_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.o_proj.weight"] = rnd(d, q)
        if c["model_type"] == "qwen2" or c["attn_bias"]:
            w[p + "self_attn.q_proj.bias"] = rnd(q, std=0.1)
            w[p + "self_attn.k_proj.bias"] = rnd(kv, std=0.1)
            w[p + "self_attn.v_proj.bias"] = rnd(kv, std=0.1)
        if c["model_type"] != "qwen2" and c["attn_bias"]:
            w[p + "self_attn.o_proj.bias"] = rnd(d, std=0.1)
        if c["model_type"] == "qwen3":
            w[p + "self_attn.q_norm.weight"] = norm(hd)
            w[p + "self_attn.k_norm.weight"] = norm(hd)
        w[p + "post_attention_layernorm.weight"] = norm(d)
        w[p + "mlp.gate_proj.weight"] = rnd(inter, d)
        w[p + "mlp.up_proj.weight"] = rnd(inter, d)
        w[p + "mlp.down_proj.weight"] = rnd(d, inter)
    w["model.norm.weight"] = norm(d)
    if not c["tie"]:
        w["lm_head.weight"] = rnd(c["vocab"], d)
    if c["dtype"] == "bfloat16":
        w = {k: v.to(torch.bfloat16).to(torch.float32) for k, v in w.items()}
    return w


def rms_norm(x, weight, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(c, w, ids, mask):
    B, T = ids.shape
    H, KV, hd, eps = c["heads"], c["kv"], c["head_dim"], c["eps"]
    pos = (mask.long().cumsum(-1) - 1).clamp(min=0)
    inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = pos[..., None].float() * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B,1,T,hd]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    allowed = causal[None, None] & mask.bool()[:, None, None, :]  # [B,1,T,S]

    def lin(x, name):
        y = x @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    h = w["model.embed_tokens.weight"][ids]
    for l in range(c["layers"]):
        p = f"model.layers.{l}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = lin(x, p + "self_attn.q_proj").view(B, T, H, hd)
        k = lin(x, p + "self_attn.k_proj").view(B, T, KV, hd)
        v = lin(x, p + "self_attn.v_proj").view(B, T, KV, hd)
        if c["model_type"] == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [B,heads,T,hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KV
        k = k[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
        v = v[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
        scores = (q @ k.transpose(2, 3)) / (hd ** 0.5)
        scores = scores.masked_fill(~allowed, -1e9)
        attn = torch.softmax(scores, dim=-1) @ v
        attn = attn.transpose(1, 2).reshape(B, T, H * hd)
        h = h + lin(attn, p + "self_attn.o_proj")
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = lin(x, p + "mlp.gate_proj")
        h = h + lin(torch.nn.functional.silu(gate) * lin(x, p + "mlp.up_proj"), p + "mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c["tie"] else w["lm_head.weight"]
    return h @ head.T


def write_safetensors(path, tensors, dtype):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if dtype == "bfloat16":
            data = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
            st_dtype = "BF16"
        else:
            data = t.to(torch.float32).numpy().tobytes()
            st_dtype = "F32"
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for ch in chunks:
            f.write(ch)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ids, mask = torch.tensor(IDS), torch.tensor(MASK)
    for name, c in CASES.items():
        out = os.path.join(here, "ref", name)
        os.makedirs(out, exist_ok=True)
        w = make_weights(c)
        with torch.no_grad():
            logits = forward(c, w, ids, mask)
        cfg = {
            "architectures": [c["arch"]], "model_type": c["model_type"], "vocab_size": c["vocab"],
            "hidden_size": c["d"], "intermediate_size": c["inter"], "num_hidden_layers": c["layers"],
            "num_attention_heads": c["heads"], "num_key_value_heads": c["kv"], "head_dim": c["head_dim"],
            "rms_norm_eps": c["eps"], "rope_theta": c["theta"], "tie_word_embeddings": c["tie"],
            "attention_bias": c["attn_bias"], "max_position_embeddings": 128, "torch_dtype": c["dtype"],
            "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "rope_scaling": None,
        }
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(out, "model.safetensors"), w, c["dtype"])
        with open(os.path.join(out, "expected.json"), "w") as f:
            json.dump({"ids": IDS, "mask": MASK,
                       "logits": [[[round(float(x), 6) for x in row] for row in seq] for seq in logits]}, f)
        print(name, tuple(logits.shape), "ok")


if __name__ == "__main__":
    main()

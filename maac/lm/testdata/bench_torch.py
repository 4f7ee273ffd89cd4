#!/usr/bin/python3
"""PyTorch twin of maac/lm's Benchmark: the same Llama preset (tied embeddings, RMSNorm, RoPE,
GQA, SwiGLU), the same shapes and the same three measurements, printed as one JSON line.

  decode_ms_per_token   KV-cache greedy decoding, batch 8, prompt 16: (t(64 new) - t(1 new)) / 63
  score_tokens_per_sec  forward + log_softmax + gather of batch 8 x seq (64 tiny, 128 small)
  train_step_ms         forward + backward + AdamW step on the mean token NLL, same batch

Use Debian's torch (apt-get install -y python3-torch libopenblas0-pthread; libblas.so.3 must
point to OpenBLAS, see update-alternatives --display libblas.so.3-x86_64-linux-gnu):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench_torch.py --preset tiny --threads 1
More threads than free cores makes torch spin and run many times slower on a shared machine.
`collm bench` runs it and prints the ratios.
"""
import argparse
import json
import time

import torch

PRESETS = {
    "tiny": dict(vocab=260, d=128, layers=2, heads=4, kv=4, inter=384, seq=64),
    "small": dict(vocab=260, d=256, layers=4, heads=8, kv=4, inter=768, seq=128),
}


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, hd = c["d"], c["d"] // c["heads"]
        self.hd = hd
        self.embed = torch.nn.Parameter(torch.randn(c["vocab"], d) * 0.02)
        self.layers = torch.nn.ModuleList()
        for _ in range(c["layers"]):
            l = torch.nn.Module()
            l.ln1 = torch.nn.Parameter(torch.ones(d))
            l.q = torch.nn.Linear(d, c["heads"] * hd, bias=False)
            l.k = torch.nn.Linear(d, c["kv"] * hd, bias=False)
            l.v = torch.nn.Linear(d, c["kv"] * hd, bias=False)
            l.o = torch.nn.Linear(c["heads"] * hd, d, bias=False)
            l.ln2 = torch.nn.Parameter(torch.ones(d))
            l.gate = torch.nn.Linear(d, c["inter"], bias=False)
            l.up = torch.nn.Linear(d, c["inter"], bias=False)
            l.down = torch.nn.Linear(c["inter"], d, bias=False)
            self.layers.append(l)
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))

    @staticmethod
    def rms(x, w):
        return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)

    def rope(self, x, pos):
        f = pos[:, None, :, None].float() * self.inv_freq
        emb = torch.cat((f, f), -1)
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * emb.cos() + torch.cat((-x2, x1), -1) * emb.sin()

    def forward(self, ids, pos, cache=None):
        c = self.c
        B, T = ids.shape
        h = self.embed[ids]
        new_cache = []
        for i, l in enumerate(self.layers):
            x = self.rms(h, l.ln1)
            q = l.q(x).view(B, T, c["heads"], self.hd).transpose(1, 2)
            k = l.k(x).view(B, T, c["kv"], self.hd).transpose(1, 2)
            v = l.v(x).view(B, T, c["kv"], self.hd).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            if cache is not None:
                k = torch.cat((cache[i][0], k), 2)
                v = torch.cat((cache[i][1], v), 2)
            new_cache.append((k, v))
            rep = c["heads"] // c["kv"]
            k = k.repeat_interleave(rep, 1)
            v = v.repeat_interleave(rep, 1)
            s = (q @ k.transpose(2, 3)) / self.hd ** 0.5
            if cache is None:
                s = s.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), -1e9)
            a = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, -1)
            h = h + l.o(a)
            x = self.rms(h, l.ln2)
            h = h + l.down(torch.nn.functional.silu(l.gate(x)) * l.up(x))
        return self.rms(h, self.norm) @ self.embed.T, new_cache


def median_ms(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    c = PRESETS[a.preset]
    m = Model(c)
    B, T = 8, c["seq"]
    prompt = torch.randint(0, 256, (B, 16))

    @torch.no_grad()
    def generate(n):
        pos = torch.arange(16)[None].expand(B, 16)
        logits, cache = m(prompt, pos)
        tok = logits[:, -1].argmax(-1, keepdim=True)
        for step in range(n - 1):
            logits, cache = m(tok, torch.full((B, 1), 16 + step), cache)
            tok = logits[:, -1].argmax(-1, keepdim=True)

    t64 = median_ms(lambda: generate(64), a.reps)
    t1 = median_ms(lambda: generate(1), a.reps)
    ids = torch.randint(0, 256, (B, T))
    pos = torch.arange(T)[None].expand(B, T)

    def logp():
        logits, _ = m(ids, pos)
        lsm = torch.log_softmax(logits[:, :-1], -1)
        return lsm.gather(-1, ids[:, 1:, None]).squeeze(-1)

    with torch.no_grad():
        ts = median_ms(logp, a.reps)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.0)

    def train():
        opt.zero_grad()
        loss = -logp().mean()
        loss.backward()
        opt.step()

    tt = median_ms(train, a.reps)
    print(json.dumps({"model": a.preset, "threads": a.threads, "torch": torch.__version__,
                      "params": sum(p.numel() for p in m.parameters()),
                      "decode_ms_per_token": (t64 - t1) / 63, "score_tokens_per_sec": B * T / (ts / 1000),
                      "train_step_ms": tt}))


if __name__ == "__main__":
    main()

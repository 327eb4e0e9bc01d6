"""PyTorch reference for `rnx bench train`: one training step of the same CTRNN.

The model and step match rnx's `train` exactly: x[t+1] = (1-a) x[t] + a (tanh(x[t]) W_rec + u[t] W_in + b),
outputs tanh(x) W_out + b_out, loss = masked MSE + 1e-4 * mean rate^2, full BPTT, global gradient-norm
clipping at 1, AdamW (lr 1e-3, weight decay 1e-4). Prints one JSON line.
Run by `rnx bench train --python PATH`; `benches/setup_torch.sh` makes a venv with torch.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--units", type=int, default=256)
    p.add_argument("--inputs", type=int, default=3)
    p.add_argument("--outputs", type=int, default=2)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    n, n_in, n_out, T, B = args.units, args.inputs, args.outputs, args.steps, args.batch
    a = 0.02 / 0.1
    w_in = (torch.randn(n_in, n, device=dev) / math.sqrt(n_in)).requires_grad_()
    w_rec = (torch.randn(n, n, device=dev) * 1.2 / math.sqrt(n)).requires_grad_()
    b = torch.zeros(1, n, device=dev, requires_grad=True)
    w_out = (torch.randn(n, n_out, device=dev) / math.sqrt(n)).requires_grad_()
    b_out = torch.zeros(1, n_out, device=dev, requires_grad=True)
    params = [w_in, w_rec, b, w_out, b_out]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    u = torch.randn(B, T, n_in, device=dev)
    target = torch.randn(B, T, n_out, device=dev)
    mask = torch.ones(B, T, n_out, device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        drive = a * ((u.reshape(B * T, n_in) @ w_in) + b).reshape(B, T, n)
        w = w_rec * a
        x = torch.zeros(B, n, device=dev)
        r = torch.tanh(x)
        rates = []
        for t in range(T):
            x = x * (1 - a) + r @ w + drive[:, t]
            r = torch.tanh(x)
            rates.append(r)
        rates = torch.stack(rates, 1)
        y = (rates.reshape(B * T, n) @ w_out + b_out).reshape(B, T, n_out)
        mse = (((y - target) ** 2) * mask).sum() / mask.sum()
        loss = mse + 1e-4 * (rates ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({
        "torch": torch.__version__,
        "device": args.device,
        "threads": args.threads,
        "median_ms": 1000 * statistics.median(times),
        "min_ms": 1000 * min(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The PyTorch peer of `actornet bench`: the network and recipe of examples/fashion-mnist.json
(784-256-128-10 ReLU, softmax cross-entropy, momentum SGD) trained on the same data, measured the
same way: over the epochs after the first, the test set evaluated after each epoch, on the clock.

Prints one JSON line: samples/s and CPU seconds per 1,000 samples over those epochs, the last
epoch's test accuracy, peak RSS, and the seconds of training (evaluations included) until the
test accuracy first reached --target (null when it never did).
Run with Debian's interpreter (/usr/bin/python3), where python3-torch is installed.
"""
import argparse, gzip, json, os, resource, struct, sys, time

import numpy as np
import torch


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(folder, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise SystemExit(f"pytorch peer: {folder}: no {stem}[.gz]")


def load(folder, synthetic_rows):
    if folder is None:
        # The same shape as Fashion-MNIST (784 pixels, 10 classes) from a fixed seed.
        g = np.random.default_rng(1)
        x = g.integers(0, 256, size=(synthetic_rows, 784), dtype=np.uint8)
        y = g.integers(0, 10, size=synthetic_rows)
        split = synthetic_rows * 6 // 7
        return x[:split], y[:split], x[split:], y[split:]
    xs = read_idx(find(folder, "train-images-idx3-ubyte")).reshape(-1, 784)
    ys = read_idx(find(folder, "train-labels-idx1-ubyte"))
    xt = read_idx(find(folder, "t10k-images-idx3-ubyte")).reshape(-1, 784)
    yt = read_idx(find(folder, "t10k-labels-idx1-ubyte"))
    return xs, ys, xt, yt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", help="folder of Fashion-MNIST IDX files; omit for a synthetic set of the same shape")
    p.add_argument("--synthetic-rows", type=int, default=70000)
    p.add_argument("--max-train", type=int, help="train on the first N training rows only")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--target", type=float, default=0.88, help="test accuracy whose time to reach is reported")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xs, ys, xt, yt = load(a.data, a.synthetic_rows)
    if a.max_train:
        xs, ys = xs[:a.max_train], ys[:a.max_train]
    # Pixels scaled to [0, 1] once, as ActorNet's unitRange scaling does.
    xs = torch.from_numpy(xs.astype(np.float32) / 255.0)
    ys = torch.from_numpy(ys.astype(np.int64))
    xt = torch.from_numpy(xt.astype(np.float32) / 255.0)
    yt = torch.from_numpy(yt.astype(np.int64))

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)

    n = xs.shape[0]
    reached = None
    reached_epoch = None
    accuracy = None
    begin = time.perf_counter()
    window = None  # (wall, cpu) at the end of epoch 1
    for epoch in range(a.epochs):
        order = torch.randperm(n)
        for b in range(0, n, a.batch):
            idx = order[b:b + a.batch]
            x, y = xs[idx], ys[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        with torch.no_grad():
            accuracy = (model(xt).argmax(1) == yt).float().mean().item()
        if reached is None and accuracy >= a.target:
            reached = time.perf_counter() - begin
            reached_epoch = epoch + 1
        if epoch == 0:
            window = (time.perf_counter(), time.process_time())
    if a.epochs < 2:
        raise SystemExit("pytorch peer: --epochs must be at least 2 (the first is not measured)")
    wall = time.perf_counter() - window[0]
    cpu = time.process_time() - window[1]
    measured = (a.epochs - 1) * n
    print(json.dumps({
        "samplesPerSecond": measured / wall,
        "cpuSecondsPer1000": cpu * 1000 / measured,
        "testAccuracy": accuracy,
        "secondsToTarget": reached,
        "epochsToTarget": reached_epoch,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "torch": torch.__version__,
        "threads": a.threads,
        "batch": a.batch,
        "epochs": a.epochs,
    }))


if __name__ == "__main__":
    sys.exit(main())

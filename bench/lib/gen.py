#!/usr/bin/env python3
# Owns: deterministic generated data for the W1 and W2 build contexts (same bytes and mtimes on every machine).
"""usage: gen.py w1 DIR [SCALE]  -> DIR/src/dNN/fNNNNN.txt: 5,000*SCALE text files (~10 KiB each, ~50 MB at SCALE 1),
                                   plus DIR/scratch/ and DIR/src/d00/debug.log that the .dockerignore must keep out
       gen.py w2 DIR [SCALE]  -> DIR/big.bin: 500*SCALE MiB, 15/16 random bytes per MiB (gzip saves ~6 %), DIR/small.txt
SCALE is a float (BENCH_QUICK uses 0.1). Output depends only on the arguments (seeded PRNG, fixed mtime)."""
import base64
import os
import random
import sys

EPOCH = 1700000000


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (EPOCH, EPOCH))


def w1(out, scale):
    rng = random.Random(0x5EED1)
    count = max(10, int(5000 * scale))
    total = 0
    for i in range(count):
        n = rng.randint(2048, 18432)
        text = base64.b64encode(rng.randbytes(n))[:n]
        body = b"// w1 %05d\n" % i + b"\n".join(text[j:j + 76] for j in range(0, n, 76)) + b"\n"
        put(os.path.join(out, "src", "d%02d" % (i // 100), "f%05d.txt" % i), body)
        total += len(body)
    put(os.path.join(out, "scratch", "ignored.bin"), rng.randbytes(8 << 20))
    put(os.path.join(out, "src", "d00", "debug.log"), b"must not reach the image\n")
    for top in ("src", "scratch"):
        for root, dirs, _ in os.walk(os.path.join(out, top)):
            for d in dirs:
                os.utime(os.path.join(root, d), (EPOCH, EPOCH))
    print("w1: %d files, %.1f MB" % (count, total / 1e6))


def w2(out, scale):
    rng = random.Random(0x5EED2)
    mib = 1 << 20
    n = max(4, int(500 * scale))
    path = os.path.join(out, "big.bin")
    os.makedirs(out, exist_ok=True)
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(rng.randbytes(mib - mib // 16))
            f.write(bytes(mib // 16))
    os.utime(path, (EPOCH, EPOCH))
    put(os.path.join(out, "small.txt"), b"w2 small file\n")
    print("w2: big.bin %d MiB" % n)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("w1", "w2"):
        sys.exit(__doc__)
    scale = float(sys.argv[3]) if len(sys.argv) == 4 else 1.0
    {"w1": w1, "w2": w2}[sys.argv[1]](sys.argv[2], scale)

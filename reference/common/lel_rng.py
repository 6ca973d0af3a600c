"""Bit-exact Python port of @lel/core's `Rng` (packages/core/src/random/rng.ts): seedrandom's Alea generator seeded
through Baagoe's Mash, with the same derived draws (uniform, int, Box-Muller normal with a cached spare, Bernoulli,
Fisher-Yates shuffle, fork). The reference scripts use it to draw the batches and perturbation noise that LEL's
training loops draw, so a PyTorch run and a LEL run see the same numbers without exchanging them.

Python floats are IEEE doubles like JavaScript numbers, and every operation below is the one of the JavaScript
source, so `Rng(seed).next()` returns the same double as `new Rng(seed).next()` in LEL."""
import math


def _mash():
    n = 0xEFC8249D

    def mash(data):
        nonlocal n
        for ch in str(data).encode('utf-16-le').decode('utf-16-le'):
            for unit in _utf16_units(ch):
                n += unit
                h = 0.02519603282416938 * n
                n = _uint32(h)
                h -= n
                h *= n
                n = _uint32(h)
                h -= n
                n += h * 0x100000000
        return _uint32(n) * 2.3283064365386963e-10

    return mash


def _utf16_units(ch):
    cp = ord(ch)
    if cp < 0x10000:
        return [cp]
    cp -= 0x10000
    return [0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)]


def _uint32(x):
    """JavaScript's `x >>> 0` for a finite double."""
    return int(math.trunc(x)) % 0x100000000


def _int32(x):
    """JavaScript's `x | 0` for a finite double."""
    v = int(math.trunc(x)) % 0x100000000
    return v - 0x100000000 if v >= 0x80000000 else v


class Alea:
    """seedrandom's `alea` (lib/alea.js)."""

    def __init__(self, seed, state=None):
        mash = _mash()
        self.c = 1
        self.s0 = mash(' ')
        self.s1 = mash(' ')
        self.s2 = mash(' ')
        self.s0 -= mash(seed)
        if self.s0 < 0:
            self.s0 += 1
        self.s1 -= mash(seed)
        if self.s1 < 0:
            self.s1 += 1
        self.s2 -= mash(seed)
        if self.s2 < 0:
            self.s2 += 1
        if state is not None:
            self.c, self.s0, self.s1, self.s2 = state['c'], state['s0'], state['s1'], state['s2']

    def next32(self):
        t = 2091639 * self.s0 + self.c * 2.3283064365386963e-10
        self.s0 = self.s1
        self.s1 = self.s2
        self.c = _int32(t)
        self.s2 = t - self.c
        return self.s2

    def double(self):
        a = self.next32()
        b = self.next32()
        return a + _int32(b * 0x200000) * 1.1102230246251565e-16


class Rng:
    """@lel/core `Rng`: same seed, same sequence."""

    def __init__(self, seed):
        self.seed = str(seed) if not isinstance(seed, float) or not seed.is_integer() else str(int(seed))
        self.gen = Alea(self.seed)
        self.spare = None

    def next(self):
        return self.gen.double()

    def uniform(self, lo=0.0, hi=1.0):
        return lo + (hi - lo) * self.next()

    def int(self, n):
        if not n > 0:
            raise ValueError(f'Rng.int: n must be positive, got {n}')
        return math.floor(self.next() * n)

    def normal(self, mean=0.0, std=1.0):
        if self.spare is not None:
            s = self.spare
            self.spare = None
            return mean + std * s
        u = 0.0
        while u == 0:
            u = self.next()
        v = self.next()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return mean + std * r * math.cos(2 * math.pi * v)

    def bernoulli(self, p):
        return self.next() < p

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.int(i + 1)
            a[i], a[j] = a[j], a[i]
        return a

    def permutation(self, n):
        return self.shuffle(list(range(n)))

    def sample(self, n, k):
        return self.permutation(n)[:k]

    def uniform_array(self, size, lo=0.0, hi=1.0):
        """Doubles; LEL stores them as float32 (round with numpy.float32)."""
        return [self.uniform(lo, hi) for _ in range(size)]

    def normal_array(self, size, mean=0.0, std=1.0):
        return [self.normal(mean, std) for _ in range(size)]

    def bernoulli_array(self, size, p):
        return [1.0 if self.next() < p else 0.0 for _ in range(size)]

    def fork(self, label):
        return Rng(f'{self.seed}/{label}/{self.int(2 ** 31)}')

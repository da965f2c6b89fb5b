//! A tiny deterministic PRNG (splitmix64). The sandbox must produce the same data for the same seed on
//! every machine and every run, and pulling in `rand` for this would cost build time for no gain.

/// The splitmix64 finaliser: a bijection on u64, so distinct inputs give distinct outputs. Ids rely on it.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `0..n` (n = 0 yields 0). The modulo bias is irrelevant for test data.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// Picks by weight: `items` are (value, weight).
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| *w).sum();
        let mut roll = self.below(total);
        for (value, weight) in items {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        &items[items.len() - 1].0
    }
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `prefix` + 14 base62 characters. Unique per (seed, salt, n) because `mix` is a bijection.
pub fn make_id(prefix: &str, seed: u64, salt: u64, n: u64) -> String {
    let v = mix(seed.wrapping_mul(0x1000_0000_01b3) ^ salt.rotate_left(40) ^ n);
    let mut out = String::with_capacity(prefix.len() + 14);
    out.push_str(prefix);
    // 11 base62 digits hold any u64, so this part alone keeps ids unique; a u64 only fills the top
    // digit partly, so it is replaced by 3 digits of a second hash to keep ids random-looking.
    let mut head = v;
    for _ in 0..11 {
        out.push(ALPHABET[(head % 62) as usize] as char);
        head /= 62;
    }
    let mut tail = mix(v);
    for _ in 0..3 {
        out.push(ALPHABET[(tail % 62) as usize] as char);
        tail /= 62;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let ids: std::collections::HashSet<_> = (0..10_000).map(|n| make_id("pay_", 1, 3, n)).collect();
        assert_eq!(ids.len(), 10_000);
    }
}

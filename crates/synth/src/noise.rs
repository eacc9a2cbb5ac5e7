//! Randomness helpers: Gaussian draws from the seeded stream, and *stateless* noise keyed
//! by (seed, worker, month, tag).
//!
//! The stateless noise is what keeps the simulation and the file writers consistent without
//! storing every worker-month: the simulation's separation hazard reads a worker's caseload
//! and supervision for a month from the same function the snapshot and session writers use
//! later, so the effects the hazard responds to are exactly the ones written to the files.

use rand::Rng;

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) determined by its arguments alone.
pub(crate) fn unit(seed: u64, worker: u32, month: i64, tag: u64) -> f64 {
    let key = ((worker as u64) << 32) ^ (month as u64 & 0xFFFF_FFFF);
    let h = mix(seed ^ mix(key ^ mix(tag)));
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw determined by its arguments alone (Box-Muller).
pub(crate) fn unit_normal(seed: u64, worker: u32, month: i64, tag: u64) -> f64 {
    let u1 = unit(seed, worker, month, tag.wrapping_mul(2)).max(1e-12);
    let u2 = unit(seed, worker, month, tag.wrapping_mul(2) + 1);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A standard normal draw from a seeded stream (Box-Muller, one value per call).
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The logistic function.
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fisher-Yates shuffle driven by the seeded stream (deterministic for a given stream).
pub(crate) fn shuffle<T, R: Rng>(items: &mut [T], rng: &mut R) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

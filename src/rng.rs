//! A small, versioned, deterministic random number generator (xoshiro256**).
//!
//! rnx owns its generator so that the same seed gives the same bytes across platforms and across
//! releases of any dependency. Changing anything here changes results: bump the operators' versions.

/// xoshiro256** seeded through blake3, with the samplers the operators need.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator for one named stream of one stage, so that streams never overlap.
    pub fn derive(seed: u64, stream: &str) -> Rng {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"rnx-rng-v1");
        hasher.update(&seed.to_le_bytes());
        hasher.update(stream.as_bytes());
        let bytes = hasher.finalize();
        let b = bytes.as_bytes();
        let mut state = [0u64; 4];
        for (i, s) in state.iter_mut().enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *s = u64::from_le_bytes(word);
        }
        if state == [0; 4] {
            state[0] = 1;
        }
        Rng { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.state[1] << 17;
        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= t;
        self.state[3] = self.state[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [low, high).
    pub fn uniform_in(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Uniform integer in [0, n). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        // Lemire's method without the rejection step's bias: reject the short zone.
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Standard normal, by the Box-Muller transform (one value per call; simple and reproducible).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Two independent standard normals from one Box-Muller draw (half the cost per value).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let radius = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        (radius * cos, radius * sin)
    }

    /// Von Mises on (-pi, pi] around `mu`, by Best & Fisher (1979). `kappa = 0` is uniform.
    pub fn von_mises(&mut self, mu: f64, kappa: f64) -> f64 {
        use std::f64::consts::PI;
        if kappa < 1e-8 {
            return wrap_angle(mu + self.uniform_in(-PI, PI));
        }
        let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
        let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
        let r = (1.0 + rho * rho) / (2.0 * rho);
        loop {
            let u1 = self.uniform();
            let z = (PI * u1).cos();
            let f = (1.0 + r * z) / (r + z);
            let c = kappa * (r - f);
            let u2 = self.uniform();
            if c * (2.0 - c) - u2 > 0.0 || (c / u2).ln() + 1.0 - c >= 0.0 {
                let u3 = self.uniform();
                let theta = if u3 > 0.5 { f.acos() } else { -f.acos() };
                return wrap_angle(mu + theta);
            }
        }
    }

    /// `d` random orthonormal vectors of length `n`: Gaussian vectors, orthogonalised in turn
    /// (modified Gram-Schmidt). Needs d <= n.
    pub fn orthonormal(&mut self, n: usize, d: usize) -> Vec<Vec<f64>> {
        let mut basis: Vec<Vec<f64>> = Vec::new();
        while basis.len() < d {
            let mut v: Vec<f64> = (0..n).map(|_| self.normal()).collect();
            for b in &basis {
                let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            basis.push(v.into_iter().map(|x| x / norm).collect());
        }
        basis
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Wraps an angle into (-pi, pi].
pub fn wrap_angle(x: f64) -> f64 {
    use std::f64::consts::PI;
    let mut y = (x + PI).rem_euclid(2.0 * PI) - PI;
    if y <= -PI {
        y += 2.0 * PI;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "y");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::derive(1, "normal");
        let xs: Vec<f64> = (0..200_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn von_mises_concentration_matches_its_mean_resultant_length() {
        // For kappa = 10, A(kappa) = I1(10)/I0(10) = 0.94860 (scipy.special.i1(10)/i0(10)).
        let mut r = Rng::derive(2, "vm");
        let n = 200_000;
        let (mut c, mut s) = (0.0, 0.0);
        for _ in 0..n {
            let x = r.von_mises(1.0, 10.0);
            c += (x - 1.0).cos();
            s += (x - 1.0).sin();
        }
        assert!((c / n as f64 - 0.94860).abs() < 0.003, "{}", c / n as f64);
        assert!((s / n as f64).abs() < 0.003);
    }

    #[test]
    fn wrap_angle_stays_in_range() {
        for x in [-10.0, -3.2, 0.0, 3.15, 7.0, std::f64::consts::PI, -std::f64::consts::PI] {
            let y = wrap_angle(x);
            assert!(
                y > -std::f64::consts::PI - 1e-12 && y <= std::f64::consts::PI + 1e-12,
                "{x} -> {y}"
            );
            assert!(
                ((x - y) / (2.0 * std::f64::consts::PI)).fract().abs() < 1e-9
                    || ((x - y) / (2.0 * std::f64::consts::PI)).fract().abs() > 1.0 - 1e-9
            );
        }
    }
}

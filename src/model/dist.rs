//! Distributions of durations, with their means.

use rand::Rng;
use rand::distr::{Distribution, Uniform};
use rand_distr::{Exp, Gamma, LogNormal};

use super::time::SimTime;

/// A probability distribution of durations.
#[derive(Debug, Clone)]
pub enum Dist {
    /// Always the same value (ticks).
    Constant(SimTime),
    /// Exponential with the given rate (per second).
    Exponential(Exp<f64>),
    /// Lognormal over seconds.
    LogNormal(LogNormal<f64>),
    /// Gamma over seconds.
    Gamma(Gamma<f64>),
    /// Uniform over seconds.
    Uniform(Uniform<f64>),
    /// Resampled uniformly from observed durations (ticks).
    Empirical(Vec<SimTime>),
}

impl Dist {
    /// Draws one duration. The exponential (the commonest) and the constant are drawn in place:
    /// two calls deep, the exponential spent a third of its instructions on the calls. The
    /// others are a call away.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match self {
            Dist::Exponential(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Constant(t) => *t,
            _ => self.sample_other(rng),
        }
    }

    /// Draws one duration of the kinds [`Dist::sample`] does not draw in place.
    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match self {
            Dist::Constant(_) | Dist::Exponential(_) => self.sample(rng),
            Dist::LogNormal(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Gamma(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Uniform(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Empirical(v) => v[rand::RngExt::random_range(rng, 0..v.len())],
        }
    }
}

/// A distribution together with its mean, for reports and load estimates.
#[derive(Debug, Clone)]
pub struct Duration {
    /// How to draw.
    pub dist: Dist,
    /// The distribution's mean in seconds.
    pub mean_secs: f64,
}

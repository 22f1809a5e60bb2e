//! Batches of training examples by index: without replacement, reshuffled every epoch, from
//! a seeded stream, so that a seed fixes the batch order of a run.

use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Draws batches without replacement, reshuffling every epoch, from a seeded stream.
#[derive(Debug)]
pub struct BatchSampler {
    order: Vec<usize>,
    position: usize,
    batch: usize,
    rng: rand::rngs::StdRng,
}

impl BatchSampler {
    /// A sampler over `len` items (at least one) in batches of `batch`.
    pub fn new(len: usize, batch: usize, seed: u64) -> Self {
        let mut sampler = Self {
            order: (0..len).collect(),
            position: 0,
            batch,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        };
        sampler.order.shuffle(&mut sampler.rng);
        sampler
    }

    /// The next batch of indices (wrapping into a new shuffled epoch).
    pub fn next_batch(&mut self) -> Vec<usize> {
        (0..self.batch)
            .map(|_| {
                if self.position == self.order.len() {
                    self.order.shuffle(&mut self.rng);
                    self.position = 0;
                }
                self.position += 1;
                self.order[self.position - 1]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_covers_every_item_once_per_epoch_and_is_seeded() {
        let mut sampler = BatchSampler::new(10, 5, 3);
        let mut epoch: Vec<usize> = [sampler.next_batch(), sampler.next_batch()].concat();
        epoch.sort();
        assert_eq!(epoch, (0..10).collect::<Vec<_>>());
        let again = BatchSampler::new(10, 5, 3).next_batch();
        assert_eq!(again, BatchSampler::new(10, 5, 3).next_batch());
        assert_eq!(BatchSampler::new(3, 7, 0).next_batch().len(), 7);
    }
}

//! Real data sets for Goldilocks experiments, read from disk without burn.
//!
//! - [`read_idx`]: the IDX format of MNIST and Fashion-MNIST (gzip or plain), with its magic
//!   number, dimensions and length checked;
//! - [`FashionMnist`]: the four Fashion-MNIST files of a folder (by default the Debian
//!   package's [`DEFAULT_FASHION_MNIST_DIR`]) as images and labels, with
//!   [`Split::task`] selecting and relabelling classes for a source or target task.
//!
//! Every failure is a [`DataError`] naming the file and the problem.
//!
//! ```no_run
//! use goldilocks_data::FashionMnist;
//!
//! let data = FashionMnist::load(goldilocks_data::DEFAULT_FASHION_MNIST_DIR).unwrap();
//! let source = data.train.task(&[0, 1, 2, 3, 4]).unwrap(); // labels 0..5
//! println!("{} source images of {} pixels", source.len(), source.pixels_per_image());
//! ```

#![warn(missing_docs)]

mod error;
mod fashion_mnist;
mod idx;

pub use error::DataError;
pub use fashion_mnist::{
    FashionMnist, Split, DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_FILES, IMAGE_SIDE,
};
pub use idx::{read_idx, write_idx, IdxArray};

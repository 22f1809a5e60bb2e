//! Fashion-MNIST: 28 x 28 grey images of 10 clothing classes, 60 000 for training and 10 000
//! for testing, in four IDX files. Debian's `dataset-fashion-mnist` package installs them
//! gzipped in [`DEFAULT_FASHION_MNIST_DIR`]; plain (gunzipped) files are read too.

use std::path::{Path, PathBuf};

use crate::{read_idx, DataError};

/// Where Debian's `dataset-fashion-mnist` package installs the files.
pub const DEFAULT_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Side of the square Fashion-MNIST images, in pixels.
pub const IMAGE_SIDE: usize = 28;

/// The file stems of the training images and labels and the test images and labels; each
/// is read from `<stem>.gz` or, failing that, `<stem>`.
pub const FASHION_MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The number of classes.
const CLASSES: usize = 10;

/// One split (training or test) of an image classification data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Pixels (0 to 255), image after image, row-major.
    pub pixels: Vec<u8>,
    /// One label per image, in `0..classes`.
    pub labels: Vec<u8>,
    /// The number of classes.
    pub classes: usize,
}

impl Split {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image.
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// The images whose label is in `classes`, relabelled by their position in `classes`
    /// (so a task on classes `[5, 6, 7, 8, 9]` has labels `0..5`), in their original order.
    pub fn task(&self, classes: &[u8]) -> Result<Split, DataError> {
        let bad =
            |reason: &str| DataError::BadTask { classes: classes.to_vec(), reason: reason.into() };
        if classes.is_empty() {
            return Err(bad("a task needs at least one class"));
        }
        if let Some(c) = classes.iter().find(|&&c| c as usize >= self.classes) {
            return Err(bad(&format!("class {c} is outside 0..{}", self.classes)));
        }
        if (1..classes.len()).any(|i| classes[..i].contains(&classes[i])) {
            return Err(bad("a class is listed twice"));
        }
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for (index, label) in self.labels.iter().enumerate() {
            if let Some(new) = classes.iter().position(|c| c == label) {
                pixels.extend_from_slice(self.image(index));
                labels.push(new as u8);
            }
        }
        Ok(Split { rows: self.rows, cols: self.cols, pixels, labels, classes: classes.len() })
    }

    /// The first `n` images (all of them when there are fewer).
    pub fn take(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split {
            rows: self.rows,
            cols: self.cols,
            pixels: self.pixels[..n * self.pixels_per_image()].to_vec(),
            labels: self.labels[..n].to_vec(),
            classes: self.classes,
        }
    }

    /// Reads an image file (dimensions `[n, rows, cols]`) and a label file (`[n]`, labels
    /// below `classes`) into a split.
    pub fn read(images: &Path, labels: &Path, classes: usize) -> Result<Split, DataError> {
        let image_array = read_idx(images)?;
        let &[count, rows, cols] = image_array.dims.as_slice() else {
            return Err(DataError::WrongDims {
                path: images.to_path_buf(),
                found: image_array.dims,
                expected: "3 dimensions [images, rows, cols]".into(),
            });
        };
        if rows == 0 || cols == 0 {
            return Err(DataError::WrongDims {
                path: images.to_path_buf(),
                found: image_array.dims,
                expected: "images of at least 1 x 1 pixels".into(),
            });
        }
        let label_array = read_idx(labels)?;
        let &[label_count] = label_array.dims.as_slice() else {
            return Err(DataError::WrongDims {
                path: labels.to_path_buf(),
                found: label_array.dims,
                expected: "1 dimension [labels]".into(),
            });
        };
        if label_count != count {
            return Err(DataError::CountMismatch {
                images: images.to_path_buf(),
                image_count: count,
                labels: labels.to_path_buf(),
                label_count,
            });
        }
        if let Some((index, &label)) =
            label_array.data.iter().enumerate().find(|(_, &l)| l as usize >= classes)
        {
            return Err(DataError::LabelOutOfRange {
                path: labels.to_path_buf(),
                index,
                label,
                classes,
            });
        }
        Ok(Split { rows, cols, pixels: image_array.data, labels: label_array.data, classes })
    }
}

/// Fashion-MNIST's training and test splits.
#[derive(Debug, Clone, PartialEq)]
pub struct FashionMnist {
    /// The training split (60 000 images in the full data set).
    pub train: Split,
    /// The test split (10 000 images in the full data set).
    pub test: Split,
}

impl FashionMnist {
    /// Reads the four files from `dir`, gzipped or plain. Images must be 28 x 28 and labels
    /// in `0..10`; any count is accepted so that tests can use small files.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::MissingDir { dir: dir.to_path_buf() });
        }
        let [train_images, train_labels, test_images, test_labels] =
            FASHION_MNIST_FILES.map(|stem| find_file(dir, stem));
        let train = Split::read(&train_images?, &train_labels?, CLASSES)?;
        let test = Split::read(&test_images?, &test_labels?, CLASSES)?;
        for (split, stem) in [(&train, FASHION_MNIST_FILES[0]), (&test, FASHION_MNIST_FILES[2])] {
            if (split.rows, split.cols) != (IMAGE_SIDE, IMAGE_SIDE) {
                return Err(DataError::WrongDims {
                    path: find_file(dir, stem)?,
                    found: vec![split.len(), split.rows, split.cols],
                    expected: "28 x 28 images".into(),
                });
            }
        }
        Ok(Self { train, test })
    }

    /// Whether `dir` holds the four files (gzipped or plain), without reading them.
    pub fn is_present(dir: impl AsRef<Path>) -> bool {
        FASHION_MNIST_FILES.iter().all(|stem| find_file(dir.as_ref(), stem).is_ok())
    }
}

/// `<dir>/<stem>.gz` if it exists, else `<dir>/<stem>` if it exists.
fn find_file(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{stem}.gz"));
    let plain = dir.join(stem);
    [gz.clone(), plain].into_iter().find(|p| p.is_file()).ok_or_else(|| DataError::MissingFile {
        path: gz,
        expected: format!("{stem}.gz or {stem}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{write_idx, IdxArray};

    /// Writes a small Fashion-MNIST-like folder: `n` images per split, labels `i % 10`.
    fn write_small(dir: &Path, n: usize, gzip: bool) {
        let ext = if gzip { ".gz" } else { "" };
        for (images, labels) in [(0, 1), (2, 3)] {
            let pixels = (0..n * 784).map(|i| (i % 251) as u8).collect();
            write_idx(
                &dir.join(format!("{}{ext}", FASHION_MNIST_FILES[images])),
                &IdxArray { dims: vec![n, 28, 28], data: pixels },
            )
            .unwrap();
            let label_data = (0..n).map(|i| (i % 10) as u8).collect();
            write_idx(
                &dir.join(format!("{}{ext}", FASHION_MNIST_FILES[labels])),
                &IdxArray { dims: vec![n], data: label_data },
            )
            .unwrap();
        }
    }

    #[test]
    fn loads_gzip_and_plain_folders() {
        for gzip in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            write_small(dir.path(), 20, gzip);
            assert!(FashionMnist::is_present(dir.path()));
            let data = FashionMnist::load(dir.path()).unwrap();
            assert_eq!(
                (data.train.len(), data.test.len(), data.train.pixels_per_image()),
                (20, 20, 784)
            );
            assert_eq!(data.train.labels[13], 3);
            assert_eq!(data.train.image(1)[0], (784 % 251) as u8);
        }
    }

    #[test]
    fn tasks_select_and_relabel_classes() {
        let dir = tempfile::tempdir().unwrap();
        write_small(dir.path(), 30, true);
        let data = FashionMnist::load(dir.path()).unwrap();
        let task = data.train.task(&[7, 2]).unwrap();
        assert_eq!(task.labels, vec![1, 0, 1, 0, 1, 0]);
        assert_eq!(task.classes, 2);
        assert_eq!(task.image(0), data.train.image(2));
        assert_eq!(task.take(4).len(), 4);
        assert!(matches!(data.train.task(&[]), Err(DataError::BadTask { .. })));
        assert!(matches!(data.train.task(&[3, 3]), Err(DataError::BadTask { .. })));
        let error = data.train.task(&[10]).unwrap_err();
        assert!(error.to_string().contains("class 10"), "{error}");
    }

    #[test]
    fn missing_folder_and_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let error = FashionMnist::load(&missing).unwrap_err();
        assert!(matches!(error, DataError::MissingDir { .. }));
        assert!(
            error.to_string().contains("nowhere")
                && error.to_string().contains("dataset-fashion-mnist")
        );
        let error = FashionMnist::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains("train-images-idx3-ubyte"), "{error}");
        assert!(!FashionMnist::is_present(dir.path()));
    }

    #[test]
    fn bad_labels_counts_and_dims_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_small(dir.path(), 10, false);
        let labels = dir.path().join(FASHION_MNIST_FILES[1]);
        write_idx(&labels, &IdxArray { dims: vec![10], data: vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 12] })
            .unwrap();
        let error = FashionMnist::load(dir.path()).unwrap_err();
        assert!(matches!(error, DataError::LabelOutOfRange { index: 9, label: 12, .. }), "{error}");

        write_idx(&labels, &IdxArray { dims: vec![9], data: vec![0; 9] }).unwrap();
        let error = FashionMnist::load(dir.path()).unwrap_err();
        assert!(
            matches!(error, DataError::CountMismatch { image_count: 10, label_count: 9, .. }),
            "{error}"
        );

        write_idx(&labels, &IdxArray { dims: vec![10, 1], data: vec![0; 10] }).unwrap();
        assert!(matches!(FashionMnist::load(dir.path()).unwrap_err(), DataError::WrongDims { .. }));

        write_small(dir.path(), 10, false);
        let images = dir.path().join(FASHION_MNIST_FILES[2]);
        write_idx(&images, &IdxArray { dims: vec![10, 14, 56], data: vec![0; 10 * 784] }).unwrap();
        let error = FashionMnist::load(dir.path()).unwrap_err();
        assert!(
            matches!(error, DataError::WrongDims { .. }) && error.to_string().contains("28 x 28"),
            "{error}"
        );
    }
}

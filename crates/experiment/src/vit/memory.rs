//! Memory planned before allocation for the ViT kind: the peak of pre-training or of one
//! fine-tuning run, from the model's shape, the batch sizes and the task sizes. Runs are
//! sequential, so the peak is that of the larger batch; a config over the limit is refused
//! before the dataset is read.

use goldilocks_data::IMAGE_SIDE;
use goldilocks_model::VitShape;

use crate::memory_limit::check_estimate;
use crate::vit::{TaskConfig, VitExperimentConfig};
use crate::ExperimentError;

/// Fashion-MNIST's images per class in its training and test splits.
const TRAIN_PER_CLASS: usize = 6000;
const TEST_PER_CLASS: usize = 1000;
/// Images per forward pass when evaluating (as `train.rs` evaluates).
const EVAL_BATCH: usize = 500;

/// Parameters of the model with `classes` outputs.
pub fn parameters(shape: &VitShape, classes: usize) -> usize {
    let (w, m) = (shape.width, shape.mlp_width);
    let tokens = (shape.image_size / shape.patch_size).pow(2) + 1;
    let embedding = shape.patch_size.pow(2) * w + w + w + tokens * w;
    let block = 4 * w + 4 * (w * w + w) + (w * m + m) + (m * w + w);
    embedding + shape.depth * block + 2 * w + (w * classes + classes)
}

/// Estimated peak bytes of `config`'s largest step, counting 4-byte floats.
///
/// With P parameters, t tokens, width w, MLP width m, H heads, D blocks and batch b: the
/// model, its gradient, Adam's two moments and the updated copy (5 P); the activations the
/// backward pass keeps and as many temporaries, 2 b t D (14 w + 3 m + 3 H t); an evaluation
/// batch of 500 images through one block, 500 t (4 w + m + H t); the tasks' normalised images
/// (784 floats each) and their bytes (784 each); the raw dataset (70 000 images of 784 bytes)
/// twice, for the buffer that grows while it is decompressed.
pub fn vit_bytes(config: &VitExperimentConfig) -> f64 {
    let shape = &config.model;
    let classes = config.source.classes.len().max(config.target.classes.len());
    let p = parameters(shape, classes) as f64;
    let t = ((shape.image_size / shape.patch_size).pow(2) + 1) as f64;
    let (w, m, h, d) =
        (shape.width as f64, shape.mlp_width as f64, shape.heads as f64, shape.depth as f64);
    let batch = config.pretrain.batch.max(config.finetune.batch) as f64;
    let activations = 2.0 * batch * t * d * (14.0 * w + 3.0 * m + 3.0 * h * t);
    let evaluation = EVAL_BATCH as f64 * t * (4.0 * w + m + h * t);
    let pixels = (IMAGE_SIDE * IMAGE_SIDE) as f64;
    let images = |task: &TaskConfig| {
        let classes = task.classes.len();
        let train =
            if task.train_images == 0 { TRAIN_PER_CLASS * classes } else { task.train_images };
        let test = if task.test_images == 0 { TEST_PER_CLASS * classes } else { task.test_images };
        (train + test) as f64
    };
    let data = (images(&config.source) + images(&config.target)) * pixels;
    let raw_dataset = (10 * (TRAIN_PER_CLASS + TEST_PER_CLASS)) as f64 * pixels;
    4.0 * (5.0 * p + activations + evaluation + data) + data + 2.0 * raw_dataset
}

/// Refuses `config` when its largest step does not fit `limit` bytes.
pub(crate) fn check_fits(config: &VitExperimentConfig, limit: u64) -> Result<(), ExperimentError> {
    let shape = &config.model;
    check_estimate(
        vit_bytes(config),
        limit,
        || {
            format!(
                "a ViT of model.width = {}, model.depth = {}, model.mlp_width = {} and \
                 model.patch_size = {} at batch {} (pretrain.batch = {}, finetune.batch = {})",
                shape.width,
                shape.depth,
                shape.mlp_width,
                shape.patch_size,
                config.pretrain.batch.max(config.finetune.batch),
                config.pretrain.batch,
                config.finetune.batch
            )
        },
        "model.width, model.depth, model.mlp_width, pretrain.batch or finetune.batch",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentKind;

    fn config() -> VitExperimentConfig {
        let text = include_str!("../../../../configs/vit-fashion-mnist.toml");
        VitExperimentConfig::from_toml(text, "vit-fashion-mnist.toml").unwrap()
    }

    #[test]
    fn the_parameter_count_is_that_of_the_built_model() {
        use burn::backend::NdArray;
        use burn::module::Module;
        let config = config();
        let model = config.model.with_classes(5).init::<NdArray>(&Default::default()).unwrap();
        assert_eq!(parameters(&config.model, 5), model.num_params());
    }

    #[test]
    fn the_shipped_config_fits_and_an_absurd_width_is_refused() {
        let shipped = config();
        assert!(check_fits(&shipped, 1 << 30).is_ok(), "{}", vit_bytes(&shipped));
        let mut huge = config();
        huge.model.width = 1 << 20;
        huge.model.mlp_width = 1 << 21;
        let error = check_fits(&huge, 16 << 30).unwrap_err().to_string();
        assert!(error.contains("model.width = 1048576") && error.contains("TiB"), "{error}");
        assert!(error.contains("finetune.batch"), "{error}");
    }
}

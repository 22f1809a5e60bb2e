//! A tiny Vision Transformer for 28 x 28 grey images (Fashion-MNIST), sized for a CPU.
//!
//! The image is cut into non-overlapping `patch_size` x `patch_size` patches, each embedded
//! by a linear map; a learned class token is prepended and a learned position embedding
//! added; `depth` pre-norm transformer blocks follow (`x + attention(norm(x))`, then
//! `x + mlp(norm(x))`), and a final LayerNorm and a linear head read the class token.
//!
//! The attention projections (`query`, `key`, `value`, `output`) and the MLP linears (`fc1`,
//! `fc2`) are [`LoraLinear`]s, listed by [`LoraModel`] with paths such as
//! `blocks.0.attention.query` and `blocks.1.mlp.fc2`, so that `apply_lora` targets them by
//! name. The patch embedding, the tokens, the norms and the head are plain parameters.
//!
//! Training modes: [`LoraLinear::new`] freezes base weights, so a freshly built model is
//! made fully trainable by [`Vit::unfreeze`] (pre-training, full fine-tuning), or frozen by
//! [`Vit::freeze`] before adapters and a fresh head are attached (LoRA fine-tuning).
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::tensor::Tensor;
//! use goldilocks_model::VitConfig;
//!
//! let device = Default::default();
//! let model = VitConfig::tiny(5).init::<NdArray>(&device).unwrap();
//! let logits = model.forward(Tensor::zeros([3, 28, 28], &device));
//! assert_eq!(logits.dims(), [3, 5]);
//! ```

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use goldilocks_lora::{nested, LoraLinear, LoraModel, RequireGrad};
use serde::{Deserialize, Serialize};

use crate::ModelError;

/// The shape of a [`Vit`] without its number of classes; missing TOML keys take the tiny
/// preset's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VitShape {
    /// Side of the square input images, in pixels.
    pub image_size: usize,
    /// Side of the square patches; must divide `image_size`.
    pub patch_size: usize,
    /// Width of the token embeddings.
    pub width: usize,
    /// Attention heads; must divide `width`.
    pub heads: usize,
    /// Transformer blocks.
    pub depth: usize,
    /// Hidden width of each block's MLP.
    pub mlp_width: usize,
}

impl Default for VitShape {
    /// The tiny preset: 28 x 28 images, patch 7 (16 tokens), width 64, 4 heads, 2 blocks,
    /// MLP width 128.
    fn default() -> Self {
        Self { image_size: 28, patch_size: 7, width: 64, heads: 4, depth: 2, mlp_width: 128 }
    }
}

impl VitShape {
    /// The model config with `classes` outputs.
    pub fn with_classes(&self, classes: usize) -> VitConfig {
        VitConfig { shape: self.clone(), classes }
    }
}

/// The config of a [`Vit`]: its shape and its number of classes.
#[derive(Debug, Clone, PartialEq)]
pub struct VitConfig {
    /// Image, patch and layer sizes.
    pub shape: VitShape,
    /// Output classes of the head.
    pub classes: usize,
}

impl VitConfig {
    /// The tiny preset ([`VitShape::default`]) with `classes` outputs.
    pub fn tiny(classes: usize) -> Self {
        VitShape::default().with_classes(classes)
    }

    /// Checks that every size is positive, the patch divides the image and the heads divide
    /// the width.
    pub fn validate(&self) -> Result<(), ModelError> {
        let sizes = [
            ("image_size", self.shape.image_size),
            ("patch_size", self.shape.patch_size),
            ("width", self.shape.width),
            ("heads", self.shape.heads),
            ("depth", self.shape.depth),
            ("mlp_width", self.shape.mlp_width),
            ("classes", self.classes),
        ];
        if let Some((name, value)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(ModelError::OutOfRange {
                name,
                expected: "at least 1",
                value: *value as f64,
            });
        }
        if !self.shape.image_size.is_multiple_of(self.shape.patch_size) {
            return Err(ModelError::Shape(format!(
                "patch_size {} does not divide image_size {}",
                self.shape.patch_size, self.shape.image_size
            )));
        }
        if !self.shape.width.is_multiple_of(self.shape.heads) {
            return Err(ModelError::Shape(format!(
                "heads {} does not divide width {}",
                self.shape.heads, self.shape.width
            )));
        }
        Ok(())
    }

    /// Patches per image side.
    pub fn grid(&self) -> usize {
        self.shape.image_size / self.shape.patch_size
    }

    /// Tokens per image: the patches and the class token.
    pub fn tokens(&self) -> usize {
        self.grid() * self.grid() + 1
    }

    /// A fresh model with random weights (burn's default initialisers; tokens ~ N(0, 0.02^2)),
    /// drawn from the backend's random stream (seed it with `B::seed` for reproducibility).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<Vit<B>, ModelError> {
        self.validate()?;
        let w = self.shape.width;
        let token = |tokens| {
            Param::from_tensor(Tensor::random(
                [1, tokens, w],
                Distribution::Normal(0.0, 0.02),
                device,
            ))
        };
        let blocks = (0..self.shape.depth)
            .map(|_| Block {
                norm1: LayerNormConfig::new(w).init(device),
                attention: Attention {
                    query: LinearConfig::new(w, w).init(device).into(),
                    key: LinearConfig::new(w, w).init(device).into(),
                    value: LinearConfig::new(w, w).init(device).into(),
                    output: LinearConfig::new(w, w).init(device).into(),
                    heads: self.shape.heads,
                },
                norm2: LayerNormConfig::new(w).init(device),
                mlp: Mlp {
                    fc1: LinearConfig::new(w, self.shape.mlp_width).init(device).into(),
                    fc2: LinearConfig::new(self.shape.mlp_width, w).init(device).into(),
                },
            })
            .collect();
        Ok(Vit {
            patch_embedding: LinearConfig::new(self.shape.patch_size * self.shape.patch_size, w)
                .init(device),
            class_token: token(1),
            position_embedding: token(self.tokens()),
            blocks,
            norm: LayerNormConfig::new(w).init(device),
            head: LinearConfig::new(w, self.classes).init(device),
            patch_size: self.shape.patch_size,
        })
    }
}

/// Multi-head self-attention with LoRA-capable projections.
#[derive(Module, Debug)]
pub struct Attention<B: Backend> {
    /// Query projection.
    pub query: LoraLinear<B>,
    /// Key projection.
    pub key: LoraLinear<B>,
    /// Value projection.
    pub value: LoraLinear<B>,
    /// Output projection.
    pub output: LoraLinear<B>,
    /// Number of heads.
    pub heads: usize,
}

impl<B: Backend> Attention<B> {
    /// Self-attention over the tokens.
    ///
    /// # Shapes
    ///
    /// - input: `[batch, tokens, width]`
    /// - output: `[batch, tokens, width]`
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [b, t, w] = x.dims();
        let (h, dh) = (self.heads, w / self.heads);
        let split = |y: Tensor<B, 3>| y.reshape([b, t, h, dh]).swap_dims(1, 2);
        let q = split(self.query.forward(x.clone()));
        let k = split(self.key.forward(x.clone()));
        let v = split(self.value.forward(x));
        let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(1.0 / (dh as f64).sqrt());
        let context = softmax(scores, 3).matmul(v).swap_dims(1, 2).reshape([b, t, w]);
        self.output.forward(context)
    }
}

/// The MLP of a block: `fc2(gelu(fc1(x)))`.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    /// Width to hidden width.
    pub fc1: LoraLinear<B>,
    /// Hidden width to width.
    pub fc2: LoraLinear<B>,
}

/// A pre-norm transformer block.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    /// Norm before the attention.
    pub norm1: LayerNorm<B>,
    /// Self-attention.
    pub attention: Attention<B>,
    /// Norm before the MLP.
    pub norm2: LayerNorm<B>,
    /// The MLP.
    pub mlp: Mlp<B>,
}

impl<B: Backend> Block<B> {
    /// `x + attention(norm1(x))`, then `+ mlp(norm2(.))`.
    ///
    /// # Shapes
    ///
    /// - input and output: `[batch, tokens, width]`
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let x = x.clone() + self.attention.forward(self.norm1.forward(x));
        let hidden = gelu(self.mlp.fc1.forward(self.norm2.forward(x.clone())));
        x + self.mlp.fc2.forward(hidden)
    }
}

/// The tiny Vision Transformer; build it with [`VitConfig::init`].
#[derive(Module, Debug)]
pub struct Vit<B: Backend> {
    /// Linear embedding of flattened patches: `[patch_size^2, width]`.
    pub patch_embedding: Linear<B>,
    /// The learned class token, `[1, 1, width]`.
    pub class_token: Param<Tensor<B, 3>>,
    /// The learned position embedding, `[1, tokens, width]`.
    pub position_embedding: Param<Tensor<B, 3>>,
    /// The transformer blocks.
    pub blocks: Vec<Block<B>>,
    /// The final norm.
    pub norm: LayerNorm<B>,
    /// The classification head on the class token.
    pub head: Linear<B>,
    /// Side of the patches.
    pub patch_size: usize,
}

impl<B: Backend> Vit<B> {
    /// Class logits.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, image_size, image_size]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, images: Tensor<B, 3>) -> Tensor<B, 2> {
        let [b, side, _] = images.dims();
        let (p, g) = (self.patch_size, side / self.patch_size);
        let patches = images.reshape([b, g, p, g, p]).swap_dims(2, 3).reshape([b, g * g, p * p]);
        let tokens = self.patch_embedding.forward(patches);
        let width = tokens.dims()[2];
        let class_token = self.class_token.val().repeat_dim(0, b);
        let mut x = Tensor::cat(vec![class_token, tokens], 1) + self.position_embedding.val();
        for block in &self.blocks {
            x = block.forward(x);
        }
        let class_state = self.norm.forward(x).narrow(1, 0, 1).reshape([b, width]);
        self.head.forward(class_state)
    }

    /// The number of output classes.
    pub fn classes(&self) -> usize {
        self.head.weight.dims()[1]
    }

    /// Every parameter requires gradients: for pre-training and full fine-tuning.
    pub fn unfreeze(self) -> Self {
        self.map(&mut RequireGrad(true))
    }

    /// No parameter requires gradients: the base of LoRA fine-tuning, before adapters and a
    /// fresh head are attached.
    pub fn freeze(self) -> Self {
        self.map(&mut RequireGrad(false))
    }

    /// Replaces the head by a fresh one with `classes` outputs (trainable), as fine-tuning
    /// on a new task does in every mode.
    pub fn with_new_head(mut self, classes: usize, device: &B::Device) -> Self {
        let width = self.head.weight.dims()[0];
        self.head = LinearConfig::new(width, classes).init(device);
        self
    }
}

impl<B: Backend> LoraModel<B> for Attention<B> {
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        vec![
            ("query".into(), &mut self.query),
            ("key".into(), &mut self.key),
            ("value".into(), &mut self.value),
            ("output".into(), &mut self.output),
        ]
    }
}

impl<B: Backend> LoraModel<B> for Block<B> {
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        let mut layers = nested("attention", self.attention.lora_linears());
        layers.extend(nested(
            "mlp",
            vec![("fc1".into(), &mut self.mlp.fc1), ("fc2".into(), &mut self.mlp.fc2)],
        ));
        layers
    }
}

impl<B: Backend> LoraModel<B> for Vit<B> {
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        nested("blocks", self.blocks.lora_linears())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, NdArray};
    use burn::tensor::TensorData;
    use goldilocks_lora::{apply_lora, trainable_parameters, LoraConfig, TargetModules};
    use rand::SeedableRng;

    type B = NdArray;

    fn images(b: usize) -> Tensor<B, 3> {
        let data: Vec<f32> = (0..b * 784).map(|i| ((i * 37 % 101) as f32) / 101.0).collect();
        Tensor::from_data(TensorData::new(data, [b, 28, 28]), &Default::default())
    }

    #[test]
    fn lists_attention_and_mlp_linears_by_path() {
        let mut model = VitConfig::tiny(5).init::<B>(&Default::default()).unwrap();
        let paths: Vec<String> = model.lora_linears().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths.len(), 12);
        assert_eq!(paths[0], "blocks.0.attention.query");
        assert_eq!(paths[5], "blocks.0.mlp.fc2");
        assert_eq!(paths[11], "blocks.1.mlp.fc2");
    }

    #[test]
    fn adapters_start_as_a_no_op_and_count_their_parameters() {
        let device = Default::default();
        let mut model = VitConfig::tiny(5).init::<B>(&device).unwrap();
        let before = model.forward(images(2));
        let config = LoraConfig::new(4, 8.0, TargetModules::Pattern("all-linear".into()));
        let matched =
            apply_lora(&mut model, &config, &mut rand::rngs::StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(matched.len(), 12);
        let after = model.forward(images(2));
        assert!((after - before).abs().max().into_scalar() < 1e-6);
        // Per block: 4 attention linears 64 -> 64 and fc1 64 -> 128, fc2 128 -> 64.
        assert_eq!(trainable_parameters(&model).trainable, 2 * 4 * (4 * 128 + 2 * 192));
    }

    #[test]
    fn freezing_leaves_only_adapters_and_head_with_gradients() {
        type A = Autodiff<B>;
        let device = Default::default();
        let model =
            VitConfig::tiny(5).init::<A>(&device).unwrap().freeze().with_new_head(3, &device);
        let mut model = model;
        let config = LoraConfig::new(2, 4.0, TargetModules::list(["query", "fc1"]));
        apply_lora(&mut model, &config, &mut rand::rngs::StdRng::seed_from_u64(2)).unwrap();
        let x: Tensor<A, 3> = Tensor::from_inner(images(4));
        let grads = model.forward(x).powi_scalar(2).mean().backward();
        assert!(model.head.weight.grad(&grads).is_some());
        assert!(model.patch_embedding.weight.grad(&grads).is_none());
        assert!(model.blocks[0].attention.query.base.weight.grad(&grads).is_none());
        let adapter = model.blocks[0].attention.query.adapter.as_ref().unwrap();
        assert!(adapter.lora_a.grad(&grads).is_some());

        let full = VitConfig::tiny(5).init::<A>(&device).unwrap().unfreeze();
        let grads = full.forward(Tensor::from_inner(images(4))).powi_scalar(2).mean().backward();
        assert!(full.blocks[1].mlp.fc2.base.weight.grad(&grads).is_some());
        assert!(full.class_token.grad(&grads).is_some());
    }

    #[test]
    fn bad_shapes_are_named() {
        let bad_patch = VitShape { patch_size: 5, ..VitShape::default() }.with_classes(5);
        assert!(bad_patch.validate().unwrap_err().to_string().contains("patch_size"));
        let bad_heads = VitShape { heads: 3, ..VitShape::default() }.with_classes(5);
        assert!(bad_heads.validate().unwrap_err().to_string().contains("heads"));
        let no_classes = VitConfig::tiny(0);
        assert!(no_classes.validate().unwrap_err().to_string().contains("classes"));
        assert_eq!(VitConfig::tiny(2).tokens(), 17);
    }
}

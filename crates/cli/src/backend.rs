//! Backend choice: which burn backend runs the experiment.

use goldilocks_kernels::EnsembleKernels;
use std::process::Command;

use anyhow::{bail, Context};
use clap::ValueEnum;

/// Set in the environment of a rebuilt xtask so that it never rebuilds itself again.
const REBUILT_ENV: &str = "GOLDILOCKS_XTASK_REBUILT";

/// The burn backends Goldilocks can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// burn-flex: SIMD and rayon CPU backend.
    Flex,
    /// burn-ndarray CPU backend.
    Ndarray,
    /// wgpu GPU backend (Vulkan, Metal, DX12).
    Wgpu,
    /// CUDA GPU backend.
    Cuda,
}

impl BackendKind {
    /// The default: the faster CPU backend as measured (see docs/performance.md).
    pub const DEFAULT: BackendKind = BackendKind::Flex;

    /// Its cargo feature name.
    pub fn feature(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with it.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::Ndarray => cfg!(feature = "ndarray"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }
}

/// Work that runs on whichever backend is chosen at run time.
pub trait BackendTask {
    /// What the work returns.
    type Output;
    /// Runs the work on backend `B`.
    fn run<B: EnsembleKernels>(self, device: &B::Device) -> anyhow::Result<Self::Output>;
}

/// Runs `task` on `kind`, which must be compiled in.
pub fn dispatch<T: BackendTask>(kind: BackendKind, task: T) -> anyhow::Result<T::Output> {
    match kind {
        #[cfg(feature = "flex")]
        BackendKind::Flex => task.run::<burn::backend::Flex>(&Default::default()),
        #[cfg(feature = "ndarray")]
        BackendKind::Ndarray => task.run::<burn::backend::NdArray>(&Default::default()),
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => {
            let device = Default::default();
            probe_gpu::<burn::backend::Wgpu>("wgpu", &device)?;
            task.run::<burn::backend::Wgpu>(&device)
        }
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => {
            let device = Default::default();
            probe_gpu::<burn::backend::Cuda>("cuda", &device)?;
            task.run::<burn::backend::Cuda>(&device)
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "backend {} is not compiled into this binary (cargo feature `{}`)",
            other.feature(),
            other.feature()
        ),
    }
}

/// Runs one small operation on the device before any work starts (and before a results
/// folder is made). GPU backends panic when no device or driver is present: that becomes an
/// error naming the backend.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn probe_gpu<B: burn::tensor::backend::Backend>(
    name: &str,
    device: &B::Device,
) -> anyhow::Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        burn::tensor::Tensor::<B, 1>::ones([1], device).into_data()
    }))
    .map(drop)
    .map_err(|_| {
        anyhow::anyhow!("backend {name} could not run: no usable {name} device on this machine")
    })
}

/// How this process was started: through cargo (`cargo xtask`), which can rebuild it with
/// another backend's feature, or as the installed `goldilocks` binary, which cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontDoor {
    /// `cargo xtask ...` in a checkout.
    Cargo,
    /// The `goldilocks` binary, e.g. on a compute node without a Rust toolchain.
    Installed,
}

static FRONT_DOOR: std::sync::OnceLock<FrontDoor> = std::sync::OnceLock::new();

/// Records how this process was started (once, at start-up).
pub fn set_front_door(door: FrontDoor) {
    let _ = FRONT_DOOR.set(door);
}

/// Rebuilds and reruns this command with the backend's cargo feature; returns its exit status.
/// The installed binary cannot rebuild itself and says how to build one that has the backend.
pub fn rerun_with_feature(kind: BackendKind) -> anyhow::Result<i32> {
    if FRONT_DOOR.get() != Some(&FrontDoor::Cargo) {
        bail!(
            "backend {} is not compiled into this goldilocks binary; build one with it where \
             a Rust toolchain is: `cargo install --path crates/cli --features {}` (or run \
             `cargo xtask ... --backend {}` in a checkout, which rebuilds itself)",
            kind.feature(),
            kind.feature(),
            kind.feature()
        );
    }
    if std::env::var_os(REBUILT_ENV).is_some() {
        bail!(
            "backend {} is not compiled in even after rebuilding with feature `{}`",
            kind.feature(),
            kind.feature()
        );
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!(
        "backend {} is not compiled in: building xtask with feature `{}`",
        kind.feature(),
        kind.feature()
    );
    let status = Command::new(cargo)
        .args([
            "run",
            "--package",
            "xtask",
            "--no-default-features",
            "--features",
            kind.feature(),
            "--",
        ])
        .args(&args)
        .env(REBUILT_ENV, "1")
        .status()
        .context("could not start cargo to build the backend")?;
    Ok(status.code().unwrap_or(1))
}

//! Shards of a sweep: `--shard i/n` runs the units whose plan index is i mod n, into a folder
//! of its own (`<experiment>/shards/<i>-of-<n>/`), so that shards running at once on a
//! cluster never write or delete the same file; a merge later checks every unit in its
//! owner's folder and writes the outputs of a one-machine run.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::ExperimentError;

/// The folder under an experiment folder that holds its shards' folders.
pub const SHARDS_FOLDER: &str = "shards";

/// Shard `index` of `count`: the units whose plan index is `index` mod `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based, below `count`.
    pub index: usize,
    /// Number of shards, at least 1.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; an error names what is wrong with the pair.
    pub fn new(index: usize, count: usize) -> Result<Self, ExperimentError> {
        let spec = format!("{index}/{count}");
        if count == 0 {
            return Err(bad_shard(&spec, "the shard count must be at least 1"));
        }
        if index >= count {
            return Err(bad_shard(
                &spec,
                &format!("the shard index must be below the count (0 to {})", count - 1),
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard that owns unit `unit` when there are `count` shards.
    pub fn owner(unit: usize, count: usize) -> Self {
        Self { index: unit % count, count }
    }

    /// Whether the shard owns unit `unit`.
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count == self.index
    }

    /// The shard's folder under the experiment folder `experiment_dir`.
    pub fn folder(&self, experiment_dir: &Path) -> PathBuf {
        experiment_dir.join(SHARDS_FOLDER).join(format!("{}-of-{}", self.index, self.count))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ExperimentError;

    /// Parses `i/n`.
    fn from_str(spec: &str) -> Result<Self, ExperimentError> {
        let (index, count) = spec
            .split_once('/')
            .ok_or_else(|| bad_shard(spec, "expected i/n, e.g. 0/4 for the first of 4 shards"))?;
        let number = |text: &str, what: &str| {
            text.trim().parse::<usize>().map_err(|_| {
                bad_shard(spec, &format!("the {what} {text:?} is not a non-negative integer"))
            })
        };
        Self::new(number(index, "index")?, number(count, "count")?)
    }
}

fn bad_shard(spec: &str, message: &str) -> ExperimentError {
    ExperimentError::BadShard { spec: spec.to_owned(), message: message.to_owned() }
}

/// Which units a unit's stage puts it in: pre-training units must finish before the
/// fine-tuning units that start from their checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Pre-training with checkpoints.
    PreTraining,
    /// Fine-tuning (every escape and scaling unit, and fine-tuning from checkpoints).
    FineTuning,
}

impl Stage {
    /// The name used on the command line and in plans.
    pub fn name(self) -> &'static str {
        match self {
            Stage::PreTraining => "pre-training",
            Stage::FineTuning => "fine-tuning",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stage {
    type Err = ExperimentError;

    fn from_str(text: &str) -> Result<Self, ExperimentError> {
        match text {
            "pre-training" => Ok(Stage::PreTraining),
            "fine-tuning" => Ok(Stage::FineTuning),
            other => Err(ExperimentError::invalid(
                "--stage",
                format!("must be pre-training or fine-tuning, got {other:?}"),
            )),
        }
    }
}

/// What one shard process runs: the shard's units, optionally only those of one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRun {
    /// The shard.
    pub shard: Shard,
    /// Only the units of this stage (None: all the shard's units, in plan order).
    pub stage: Option<Stage>,
}

impl ShardRun {
    /// Whether this process runs unit `unit` of stage `stage`.
    pub fn runs(&self, unit: usize, stage: Stage) -> bool {
        self.shard.owns(unit) && self.stage.is_none_or(|only| only == stage)
    }
}

/// What a shard process did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardOutcome {
    /// The shard's folder.
    pub dir: PathBuf,
    /// The shard.
    pub shard: Shard,
    /// Units computed now.
    pub computed: usize,
    /// Units whose stored files were reused.
    pub reused: usize,
}

impl ShardOutcome {
    /// A shard run in `dir` that has not computed or reused anything yet.
    pub(crate) fn new(dir: PathBuf, shard: Shard) -> Self {
        Self { dir, shard, computed: 0, reused: 0 }
    }

    /// Counts one finished unit: reused from its stored file, or computed now.
    pub(crate) fn count(&mut self, reused: bool) {
        if reused {
            self.reused += 1;
        } else {
            self.computed += 1;
        }
    }
}

impl fmt::Display for ShardOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shard {}: {} units computed, {} reused; files in {}",
            self.shard,
            self.computed,
            self.reused,
            self.dir.display()
        )
    }
}

/// The problems a merge found, one line per missing or damaged unit, naming its shard.
#[derive(Debug, Default)]
pub(crate) struct MergeProblems {
    lines: Vec<String>,
}

impl MergeProblems {
    /// Records that unit `unit` (`label`) of `shard` is missing or damaged (`why`).
    pub fn add(&mut self, unit: usize, label: &str, shard: Shard, why: &str) {
        self.lines.push(format!("unit {unit} ({label}) of shard {shard}: {why}"));
    }

    /// Ok when nothing was found, else the merge error listing every problem.
    pub fn into_result(self, experiment_dir: &Path) -> Result<(), ExperimentError> {
        if self.lines.is_empty() {
            Ok(())
        } else {
            Err(ExperimentError::Merge { dir: experiment_dir.to_path_buf(), problems: self.lines })
        }
    }
}

/// The shard count of the shard folders under `experiment_dir` (`shards/<i>-of-<n>/`): every
/// folder must name the same count.
pub fn shard_count(experiment_dir: &Path) -> Result<usize, ExperimentError> {
    let folder = experiment_dir.join(SHARDS_FOLDER);
    let entries = std::fs::read_dir(&folder).map_err(|error| ExperimentError::Merge {
        dir: experiment_dir.to_path_buf(),
        problems: vec![format!("no shard folders: cannot read {}: {error}", folder.display())],
    })?;
    let mut counts = std::collections::BTreeSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((_, count)) = name.split_once("-of-") {
            if let Ok(count) = count.parse::<usize>() {
                counts.insert(count);
            }
        }
    }
    match counts.len() {
        1 => Ok(counts.into_iter().next().expect("one count")),
        0 => Err(ExperimentError::Merge {
            dir: experiment_dir.to_path_buf(),
            problems: vec![format!("no shard folders (<i>-of-<n>) in {}", folder.display())],
        }),
        _ => Err(ExperimentError::Merge {
            dir: experiment_dir.to_path_buf(),
            problems: vec![format!(
                "{} holds shard folders of {} sweeps (counts {:?}); pass --shards to pick one",
                folder.display(),
                counts.len(),
                counts
            )],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_own_every_nth_unit() {
        let shard: Shard = "1/3".parse().unwrap();
        assert_eq!(shard, Shard { index: 1, count: 3 });
        let owned: Vec<usize> = (0..8).filter(|&u| shard.owns(u)).collect();
        assert_eq!(owned, [1, 4, 7]);
        assert_eq!(Shard::owner(7, 3), shard);
        assert_eq!(shard.folder(Path::new("r/x")), Path::new("r/x/shards/1-of-3"));
    }

    #[test]
    fn bad_shards_name_the_problem() {
        for (spec, expected) in [
            ("3/2", "below the count"),
            ("0/0", "at least 1"),
            ("x", "expected i/n"),
            ("a/2", "index \"a\""),
            ("1/-2", "count \"-2\""),
        ] {
            let error = spec.parse::<Shard>().unwrap_err().to_string();
            assert!(error.contains(expected) && error.contains(spec), "{spec}: {error}");
        }
    }

    #[test]
    fn a_stage_restricts_a_shard_run() {
        let run = ShardRun { shard: Shard { index: 0, count: 2 }, stage: Some(Stage::FineTuning) };
        assert!(run.runs(2, Stage::FineTuning));
        assert!(!run.runs(2, Stage::PreTraining));
        assert!(!run.runs(1, Stage::FineTuning));
        assert_eq!("pre-training".parse::<Stage>().unwrap(), Stage::PreTraining);
        assert!("both".parse::<Stage>().is_err());
    }
}

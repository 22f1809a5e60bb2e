//! Readers never panic on bad bytes: random bytes, and valid files with a few bytes changed,
//! cut or added, fed into the IDX reader, the safetensors decoder, both manifest readers and
//! the config parser. Each returns a value or a typed error (a panic fails the property).
//! Fixed seed, a few thousand cases per reader.

use std::collections::BTreeMap;
use std::path::Path;

use goldilocks_data::{read_idx, write_idx, IdxArray};
use goldilocks_experiment::AnyConfig;
use goldilocks_store::{
    decode_safetensors, encode_safetensors, Manifest, NamedTensor, RecordsManifest, StoredFile,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const CASES: u32 = 2000;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(0x601d_110c),
        failure_persistence: None,
        ..Config::default()
    })
}

/// What a case does to a valid file: change bytes, cut it, or add to it.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Vec<(usize, u8)>),
    Cut(usize),
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..6).prop_map(Mutation::Flip),
        any::<usize>().prop_map(Mutation::Cut),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(Mutation::Append),
    ]
}

fn mutate(valid: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut bytes = valid.to_vec();
    match mutation {
        Mutation::Flip(changes) => {
            for &(at, value) in changes {
                let i = at % bytes.len();
                bytes[i] = value;
            }
        }
        Mutation::Cut(at) => bytes.truncate(at % bytes.len()),
        Mutation::Append(tail) => bytes.extend_from_slice(tail),
    }
    bytes
}

/// Random bytes, or a mutated `valid` file.
fn inputs(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        mutation().prop_map(move |m| mutate(&valid, &m)),
    ]
}

/// Runs `read` on every input of the strategy; the property is that it returns.
fn never_panics(valid: Vec<u8>, read: impl Fn(&[u8])) {
    runner()
        .run(&inputs(valid), |bytes| {
            read(&bytes);
            Ok(())
        })
        .unwrap();
}

fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn the_idx_reader_returns_an_error_on_bad_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let valid_path = dir.path().join("valid.idx");
    write_idx(&valid_path, &IdxArray { dims: vec![3, 2, 2], data: (0..12).collect() }).unwrap();
    let valid = std::fs::read(&valid_path).unwrap();
    assert!(read_idx(&valid_path).is_ok());
    never_panics(valid, |bytes| {
        let path = file_with(dir.path(), "case.idx", bytes);
        if let Ok(array) = read_idx(&path) {
            assert_eq!(array.data.len(), array.dims.iter().product::<usize>());
        }
    });
}

#[test]
fn the_safetensors_decoder_returns_an_error_on_bad_bytes() {
    let w = NamedTensor::new("w", vec![2, 3], vec![1.0, -2.0, 0.5, 4.0, 0.0, 3.5]).unwrap();
    let metadata = BTreeMap::from([("step".to_string(), "8".to_string())]);
    let valid = encode_safetensors(&[w], &metadata).unwrap();
    assert!(decode_safetensors(&valid, Path::new("valid.safetensors")).is_ok());
    never_panics(valid, |bytes| {
        let _ = decode_safetensors(bytes, Path::new("case.safetensors"));
    });
}

#[test]
fn both_manifest_readers_return_an_error_on_bad_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = RecordsManifest::default();
    records.upsert(StoredFile::of("a.jsonl", b"1\n", "cfg"));
    let records_path = dir.path().join("records.json");
    records.write(&records_path).unwrap();
    never_panics(std::fs::read(&records_path).unwrap(), |bytes| {
        let _ = RecordsManifest::read(&file_with(dir.path(), "case.json", bytes));
    });

    let store_dir = dir.path().join("store");
    let mut store = goldilocks_store::CheckpointStore::open(&store_dir, "cfg").unwrap();
    let w = NamedTensor::new("w", vec![2], vec![1.0, 2.0]).unwrap();
    store.save(4, &[w], BTreeMap::from([("loss".to_string(), f64::NAN)]), "same").unwrap();
    let valid = std::fs::read(store.manifest_path()).unwrap();
    never_panics(valid, |bytes| {
        let _ = Manifest::read(&file_with(dir.path(), "case.json", bytes));
    });
}

#[test]
fn the_config_parser_returns_an_error_on_bad_bytes() {
    let valid = include_bytes!("../data/tiny.toml").to_vec();
    assert!(AnyConfig::from_toml(std::str::from_utf8(&valid).unwrap(), "tiny").is_ok());
    never_panics(valid, |bytes| {
        let _ = AnyConfig::from_toml(&String::from_utf8_lossy(bytes), "case.toml");
    });
}

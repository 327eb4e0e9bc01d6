//! Property tests: no input makes the front end panic, whatever the bytes, and truncating a valid
//! file anywhere gives an error or a valid plan, never a crash.

use proptest::prelude::*;
use rnx::check::{CheckOptions, check};
use rnx::source::{SourceFile, Sources};
use rnx::syntax::{parse_module, parse_override};

const VALID: &str = r#"
pipeline p { seed = 1 }
task wm = working_memory { items = 2  dt = 20 ms }
model net = ctrnn { units = 32  activation = sweep(tanh, relu) }
loss l = mse + sweep(0, 1e-3) * rate_l2
data observed = swap_mixture(wm) { trials = 100  kappa = 10 }
data look = trials(wm) { n = 2 }
data all = concat(observed[*])
profile quick { observed.trials = 10 }
"#;

fn front(text: &str) {
    let mut sources = Sources::default();
    let id = sources.add(SourceFile {
        name: "fuzz.rnx".into(),
        path: None,
        text: text.into(),
    });
    if let Ok(module) = parse_module(id, text) {
        let _ = check(&sources, &[module], &CheckOptions::default()).map(|p| rnx::plan::plan(&p));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        front(&text);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(prop::sample::select(vec![
        "task", "model", "loss", "data", "train", "analysis", "pipeline", "use", "profile", "sweep",
        "wm", "x", "=", "(", ")", "{", "}", "[", "]", ",", "*", "+", "-", ".", "1", "0.5", "1e-3",
        "ms", "s", "%", "\"a\"", "true", "tanh", "working_memory", "trials", "ctrnn", "mse", "\n", "#c\n",
    ]), 0..60)) {
        front(&tokens.join(" "));
    }

    #[test]
    fn every_truncation_of_a_valid_file_is_handled(cut in 0usize..VALID.len()) {
        if VALID.is_char_boundary(cut) {
            front(&VALID[..cut]);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        front(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_set_flags_never_panic(text in "\\PC{0,60}") {
        let mut sources = Sources::default();
        let id = sources.add(SourceFile { name: "--set".into(), path: None, text: text.as_str().into() });
        let _ = parse_override(id, &text);
    }

    #[test]
    fn valid_file_with_arbitrary_overrides_never_panics(
        path in prop::sample::select(vec!["observed.trials", "observed.kappa", "look.n", "net.units", "l.rate_l2.weight", "pipeline.seed", "nope.x", "wm.dt"]),
        value in prop::sample::select(vec!["3", "-1", "1e309", "0.5", "20 ms", "tanh", "[1, 2]", "sweep(1, 2)", "\"s\"", "{ a = 1 }", "x[*]"]),
    ) {
        let mut sources = Sources::default();
        let id = sources.add(SourceFile { name: "v.rnx".into(), path: None, text: VALID.into() });
        let module = parse_module(id, VALID).expect("valid file parses");
        let (overrides, _) = rnx::loader::parse_overrides(&mut sources, &[format!("{path}={value}")]);
        let _ = check(&sources, &[module], &CheckOptions { profile: None, overrides }).map(|p| rnx::plan::plan(&p));
    }
}

#[test]
fn the_valid_file_is_valid() {
    let mut sources = Sources::default();
    let id = sources.add(SourceFile {
        name: "v.rnx".into(),
        path: None,
        text: VALID.into(),
    });
    let module = parse_module(id, VALID).expect("parses");
    let pipeline = check(&sources, &[module], &CheckOptions::default())
        .map_err(|d| d.len())
        .expect("checks");
    let plan = rnx::plan::plan(&pipeline);
    // observed(1) + look(1) + all(1): the model and loss sweeps reach no stage.
    assert_eq!(plan.instances.len(), 3);
}

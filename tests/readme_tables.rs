//! pipelines/README.md's result tables against the committed results: each quoted table is a
//! block `<!-- rnx show pipelines/P.rnx STAGE [--table T] --markdown -->` … `<!-- end -->`
//! whose text must be the Markdown rendering of `pipelines/results/P/STAGE/T.parquet`, and that
//! file's blake3 must be the one the committed lock `pipelines/P.rnx.lock` records for the stage.
//! So a change that alters results fails here until the run, the lock, the tables and the README
//! are refreshed together. To refresh after rerunning the pipelines at the default scale:
//! `RNX_BLESS_README=1 cargo test --release --test readme_tables` copies each quoted table from the
//! cache (through `rnx show`) and rewrites the blocks.

use std::path::{Path, PathBuf};
use std::process::Command;

const END: &str = "<!-- end -->";

/// One quoted table: where it sits in the README and what it quotes.
struct Block {
    /// Byte range of the block's body (between the opening and the closing marker lines).
    body: std::ops::Range<usize>,
    command: String,
    pipeline: String,
    stage: String,
    table: Option<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = readme[at..].find("<!-- rnx show ") {
        let start = at + start;
        let open_end = start + readme[start..].find("-->").expect("an unclosed opening marker") + 3;
        let command = readme[start + 5..open_end - 3].trim().to_string();
        let words: Vec<&str> = command.split_whitespace().collect();
        assert!(
            words.len() >= 4 && words[0] == "rnx" && words[1] == "show" && words.contains(&"--markdown"),
            "a quoted table's marker must read `rnx show pipelines/P.rnx STAGE [--table T] --markdown`: {command}"
        );
        let pipeline = Path::new(words[2])
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a pipeline file")
            .to_string();
        let table = words
            .iter()
            .position(|w| *w == "--table")
            .map(|i| words[i + 1].to_string());
        let body_start = open_end + 1;
        let end = body_start
            + readme[body_start..]
                .find(END)
                .unwrap_or_else(|| panic!("no `{END}` after `{command}`"));
        out.push(Block {
            body: body_start..end,
            pipeline,
            stage: words[3].to_string(),
            table,
            command,
        });
        at = end + END.len();
    }
    out
}

/// The lock's record of a stage's output `table` (or its first table): the file name and blake3.
fn locked_output(pipeline: &str, stage: &str, table: Option<&str>) -> (String, String) {
    let lock_path = root().join("pipelines").join(format!("{pipeline}.rnx.lock"));
    let lock: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&lock_path).unwrap()).unwrap();
    let outputs = lock["stages"][stage]["outputs"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no stage `{stage}`", lock_path.display()));
    let wanted = table.map(|t| format!("{t}.parquet"));
    let output = outputs
        .iter()
        .find(|o| {
            let name = o["name"].as_str().unwrap_or_default();
            match &wanted {
                Some(w) => name == w,
                None => name.ends_with(".parquet"),
            }
        })
        .unwrap_or_else(|| panic!("{}: `{stage}` records no table {wanted:?}", lock_path.display()));
    (
        output["name"].as_str().unwrap().to_string(),
        output["blake3"].as_str().unwrap().to_string(),
    )
}

fn committed_table(pipeline: &str, stage: &str, file: &str) -> PathBuf {
    root().join("pipelines/results").join(pipeline).join(stage).join(file)
}

fn rendered(path: &Path) -> String {
    let batch = rnx::table::read_parquet(path).unwrap_or_else(|e| panic!("{e}"));
    rnx::table::markdown(&batch)
}

/// Copies a quoted table out of the cache: the path is the first word `rnx show` prints.
fn bless(block: &Block, target: &Path) {
    let mut args: Vec<String> = vec![
        "show".into(),
        format!("pipelines/{}.rnx", block.pipeline),
        block.stage.clone(),
    ];
    if let Some(t) = &block.table {
        args.extend(["--table".into(), t.clone()]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rnx"))
        .args(&args)
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "rnx {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let source = text.split("  ").next().unwrap_or_default();
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(source, target).unwrap_or_else(|e| panic!("copy {source}: {e}"));
}

#[test]
fn readme_tables_are_the_committed_results_of_the_committed_locks() {
    let readme_path = root().join("pipelines/README.md");
    let mut readme = std::fs::read_to_string(&readme_path).unwrap();
    let blessing = std::env::var_os("RNX_BLESS_README").is_some();
    let found = blocks(&readme);
    assert!(
        found.len() >= 3,
        "pipelines/README.md quotes each pipeline's headline table"
    );
    let mut quoted = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    // Back to front, so that a blessed block's new length does not move the ones before it.
    for block in found.iter().rev() {
        let (file, hash) = locked_output(&block.pipeline, &block.stage, block.table.as_deref());
        let path = committed_table(&block.pipeline, &block.stage, &file);
        if blessing {
            bless(block, &path);
        }
        quoted.insert(path.clone());
        let Ok(bytes) = std::fs::read(&path) else {
            problems.push(format!("`{}`: {} is missing", block.command, path.display()));
            continue;
        };
        let actual = blake3::hash(&bytes).to_hex().to_string();
        if actual != hash {
            problems.push(format!(
                "`{}`: {} has blake3 {actual}, the lock records {hash}",
                block.command,
                path.display()
            ));
            continue;
        }
        let want = rendered(&path);
        if readme[block.body.clone()] != want {
            if blessing {
                readme.replace_range(block.body.clone(), &want);
            } else {
                problems.push(format!(
                    "`{}`: the README's table differs from the committed result; it should read:\n{want}",
                    block.command
                ));
            }
        }
    }
    if blessing {
        std::fs::write(&readme_path, &readme).unwrap();
    }
    let results = root().join("pipelines/results");
    for pipeline in std::fs::read_dir(&results).into_iter().flatten().flatten() {
        for stage in std::fs::read_dir(pipeline.path()).into_iter().flatten().flatten() {
            for table in std::fs::read_dir(stage.path()).into_iter().flatten().flatten() {
                if !quoted.contains(&table.path()) {
                    problems.push(format!(
                        "{} is quoted by no table in the README",
                        table.path().display()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(after rerunning the pipelines: RNX_BLESS_README=1 cargo test --release --test readme_tables)",
        problems.join("\n")
    );
}

#[test]
fn a_marker_names_its_pipeline_stage_and_table() {
    let text = "x\n<!-- rnx show pipelines/a.rnx fit[lr=0.1] --table curve --markdown -->\n| t |\n<!-- end -->\n";
    let found = blocks(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].pipeline, "a");
    assert_eq!(found[0].stage, "fit[lr=0.1]");
    assert_eq!(found[0].table.as_deref(), Some("curve"));
    assert_eq!(&text[found[0].body.clone()], "| t |\n");
}

//! `rnx unpack NAME.rnxpack [DIR]`: extract a pack, checking every hash, and seed the cache.

use super::EXIT_FAILURE;
use super::args::UnpackArgs;
use super::cmd_cache::human_bytes;
use super::front::{cache_dir_near, report};
use super::stdout::outln;
use crate::share::{UnpackOptions, unpack};
use std::path::PathBuf;

pub fn run(args: UnpackArgs) -> u8 {
    let dir = args.dir.clone().unwrap_or_else(|| {
        let stem = args
            .pack
            .file_stem()
            .map(|s| s.to_os_string())
            .unwrap_or_else(|| "unpacked".into());
        PathBuf::from(stem)
    });
    let options = UnpackOptions {
        max_bytes: args.max_bytes,
    };
    let flag = args.cache_dir.clone();
    let cache_dir_for = move |main: &std::path::Path| cache_dir_near(flag.as_deref(), Some(main));
    match unpack(&args.pack, &dir, &options, &cache_dir_for) {
        Ok(s) => {
            eprintln!(
                "unpacked {} files and {} cache entries ({} already cached; {}) into {}",
                s.files,
                s.seeded,
                s.present,
                human_bytes(s.bytes),
                dir.display()
            );
            let mut command = format!("rnx run {}", s.main.display());
            if let Some(p) = &s.lock.profile {
                command.push_str(&format!(" --profile {p}"));
            }
            for set in &s.lock.sets {
                command.push_str(&format!(" --set {set}"));
            }
            if s.lock.device != "cpu" {
                command.push_str(&format!(" --device {}", s.lock.device));
            }
            outln!("{command}");
            eprintln!(
                "  runs it from the cache; `rnx verify {}` recomputes and checks it",
                s.main.display()
            );
            0
        }
        Err(e) => {
            report(e);
            EXIT_FAILURE
        }
    }
}

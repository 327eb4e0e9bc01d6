//! Paths inside packs and lock files: relative, `/`-separated, and never able to leave their root.

use std::path::{Component, Path, PathBuf};

/// `path` relative to `base` (both absolute), with `..` where `path` lies outside `base`.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for c in &path[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// A path as written into a lock or a pack: `/`-separated.
pub fn portable(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The deepest folder holding every path in `paths` (all absolute).
pub fn common_ancestor<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Option<PathBuf> {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let dir = p.parent().unwrap_or(p);
        common = Some(match common {
            None => dir.to_path_buf(),
            Some(c) => {
                let shared: PathBuf = c
                    .components()
                    .zip(dir.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a.as_os_str())
                    .collect();
                shared
            }
        });
    }
    common
}

/// Checks that an archive member's path is a plain relative path that stays inside the folder it
/// is extracted into: no root, no drive prefix, no `..`, no `.`, no empty or NUL components.
pub fn safe_member_path(name: &str) -> Result<PathBuf, String> {
    if name.is_empty() {
        return Err("an empty path".into());
    }
    if name.contains('\0') {
        return Err(format!("`{name}` contains a NUL byte"));
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err(format!("`{name}` is an absolute path"));
    }
    let mut out = PathBuf::new();
    for part in name.split('/') {
        match part {
            "" => return Err(format!("`{name}` has an empty component")),
            "." => return Err(format!("`{name}` has a `.` component")),
            ".." => return Err(format!("`{name}` climbs out of its folder (`..`)")),
            _ => {}
        }
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => out.push(part),
            _ => return Err(format!("`{name}` is not a plain relative path")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_where_needed() {
        assert_eq!(
            relative_to(Path::new("/a/b/c.rnx"), Path::new("/a/b")),
            PathBuf::from("c.rnx")
        );
        assert_eq!(
            relative_to(Path::new("/a/x/c.rnx"), Path::new("/a/b")),
            PathBuf::from("../x/c.rnx")
        );
        assert_eq!(
            common_ancestor([Path::new("/a/b/c.rnx"), Path::new("/a/x/d.rnx")]),
            Some(PathBuf::from("/a"))
        );
    }

    #[test]
    fn member_paths_that_could_escape_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a/.",
            "\\x",
            "a\0b",
        ] {
            assert!(safe_member_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            safe_member_path("files/p/a.rnx").unwrap(),
            PathBuf::from("files/p/a.rnx")
        );
    }
}

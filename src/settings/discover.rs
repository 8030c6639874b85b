//! Which configuration file a command reads: `--config`, then
//! `RECUR_CONFIG`, then `./recur.toml`, then the user's
//! `$XDG_CONFIG_HOME/recur/recur.toml` (`~/.config/recur/recur.toml`), then
//! the system's `/etc/recur/recur.toml`. The first two must exist (the user
//! named them, so a typo is an error); the others are used when present,
//! and with none of them recur runs on defaults and the environment.
//!
//! The search is a pure function of the environment and of which files
//! exist, so every step of the order is unit-tested, `/etc` included.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "RECUR_CONFIG";

/// The system-wide configuration file, last in the search.
pub const SYSTEM_CONFIG: &str = "/etc/recur/recur.toml";

/// Where a configuration file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigOrigin {
    /// `--config PATH`.
    Flag,
    /// `RECUR_CONFIG=PATH`.
    Env,
    /// `./recur.toml` in the working directory.
    WorkingDir,
    /// `$XDG_CONFIG_HOME/recur/recur.toml` or `~/.config/recur/recur.toml`.
    User,
    /// `/etc/recur/recur.toml`.
    System,
    /// No file: defaults and `RECUR_…` variables only.
    Defaults,
}

impl ConfigOrigin {
    /// How `recur status` says it.
    pub fn describe(self) -> &'static str {
        match self {
            ConfigOrigin::Flag => "--config",
            ConfigOrigin::Env => "RECUR_CONFIG",
            ConfigOrigin::WorkingDir => "the working directory",
            ConfigOrigin::User => "the user configuration directory",
            ConfigOrigin::System => "the system configuration directory",
            ConfigOrigin::Defaults => "no file found: defaults and environment only",
        }
    }
}

/// The file to read (if any) and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The file; `None` when no candidate exists.
    pub path: Option<PathBuf>,
    /// How it was found.
    pub origin: ConfigOrigin,
}

impl ConfigLocation {
    /// Whether a missing file is an error: only for a path the user named.
    pub fn required(&self) -> bool {
        matches!(self.origin, ConfigOrigin::Flag | ConfigOrigin::Env)
    }
}

/// The user's configuration file: `$XDG_CONFIG_HOME/recur/recur.toml`,
/// or `$HOME/.config/recur/recur.toml`. The XDG spec says a relative
/// `XDG_CONFIG_HOME` is invalid and must be ignored.
fn user_config(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = set("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| set("HOME").map(|h| h.join(".config")))?;
    Some(base.join("recur").join("recur.toml"))
}

/// Finds the configuration file. `explicit` is `--config`; `env` reads an
/// environment variable; `exists` says whether a file is there.
pub fn locate(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
    exists: &dyn Fn(&Path) -> bool,
) -> ConfigLocation {
    let found = |path: PathBuf, origin| ConfigLocation {
        path: Some(path),
        origin,
    };
    if let Some(p) = explicit {
        return found(p.to_path_buf(), ConfigOrigin::Flag);
    }
    if let Some(p) = env(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return found(PathBuf::from(p), ConfigOrigin::Env);
    }
    let candidates = [
        (Some(PathBuf::from("recur.toml")), ConfigOrigin::WorkingDir),
        (user_config(env), ConfigOrigin::User),
        (Some(PathBuf::from(SYSTEM_CONFIG)), ConfigOrigin::System),
    ];
    for (path, origin) in candidates {
        if let Some(path) = path.filter(|p| exists(p)) {
            return found(path, origin);
        }
    }
    ConfigLocation {
        path: None,
        origin: ConfigOrigin::Defaults,
    }
}

/// [`locate`] on this process's environment and file system. Anything at
/// a candidate path counts, a directory too: reading it then fails naming
/// it, which beats silently running on defaults.
pub fn locate_here(explicit: Option<&Path>) -> ConfigLocation {
    locate(explicit, &|k| std::env::var_os(k), &|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// `locate` over a fake environment and a fake set of files.
    fn find(explicit: Option<&str>, env: &[(&str, &str)], files: &[&str]) -> ConfigLocation {
        let env: BTreeMap<String, OsString> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let files: BTreeSet<PathBuf> = files.iter().map(PathBuf::from).collect();
        locate(explicit.map(Path::new), &|k| env.get(k).cloned(), &|p| {
            files.contains(p)
        })
    }

    fn at(path: &str, origin: ConfigOrigin) -> ConfigLocation {
        ConfigLocation {
            path: Some(PathBuf::from(path)),
            origin,
        }
    }

    /// Each step wins over every later one, and is skipped when its file
    /// is missing (the named ones excepted: they are required).
    #[test]
    fn the_search_order_is_flag_env_cwd_user_system() {
        let env = [
            ("RECUR_CONFIG", "/from/env.toml"),
            ("XDG_CONFIG_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        let all = [
            "recur.toml",
            "/xdg/recur/recur.toml",
            "/home/u/.config/recur/recur.toml",
            SYSTEM_CONFIG,
        ];
        assert_eq!(
            find(Some("/flag.toml"), &env, &all),
            at("/flag.toml", ConfigOrigin::Flag)
        );
        assert_eq!(
            find(None, &env, &all),
            at("/from/env.toml", ConfigOrigin::Env)
        );
        assert!(find(None, &env, &[]).required(), "a named file must exist");
        let env = &env[1..];
        assert_eq!(
            find(None, env, &all),
            at("recur.toml", ConfigOrigin::WorkingDir)
        );
        assert_eq!(
            find(None, env, &all[1..]),
            at("/xdg/recur/recur.toml", ConfigOrigin::User)
        );
        // XDG_CONFIG_HOME is set, so ~/.config is not looked at.
        assert_eq!(
            find(None, env, &all[2..]),
            at(SYSTEM_CONFIG, ConfigOrigin::System)
        );
        let found = find(None, env, &[]);
        assert_eq!(found.path, None);
        assert_eq!(found.origin, ConfigOrigin::Defaults);
        assert!(!found.required());
    }

    #[test]
    fn without_xdg_config_home_the_user_file_is_under_home() {
        let file = "/home/u/.config/recur/recur.toml";
        for xdg in [None, Some(""), Some("relative/dir")] {
            let mut env = vec![("HOME", "/home/u")];
            env.extend(xdg.map(|x| ("XDG_CONFIG_HOME", x)));
            assert_eq!(
                find(None, &env, &[file, SYSTEM_CONFIG]),
                at(file, ConfigOrigin::User),
                "XDG_CONFIG_HOME={xdg:?}"
            );
        }
        // No HOME either: straight to /etc.
        assert_eq!(
            find(None, &[], &[file, SYSTEM_CONFIG]),
            at(SYSTEM_CONFIG, ConfigOrigin::System)
        );
        // An empty RECUR_CONFIG is unset, not the path "".
        assert_eq!(
            find(None, &[("RECUR_CONFIG", "")], &[SYSTEM_CONFIG]),
            at(SYSTEM_CONFIG, ConfigOrigin::System)
        );
    }
}

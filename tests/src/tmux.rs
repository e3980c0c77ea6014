//! A real terminal for a test: a tmux server of its own (`-L`, so no
//! other test's or user's sessions are touched), one detached session of a
//! fixed size running `sh` with an rc file of the test's (`$ENV`: the
//! prompt `$ `, the variables and functions the typed lines use), driven
//! with send-keys and read with capture-pane. The server is killed when
//! the value goes (also when the test fails).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A `cols`x`rows` session whose shell sources `rc` (sh's `$ENV`).
    pub fn new(rc: &Path, cols: u16, rows: u16) -> Tmux {
        let t = Tmux {
            socket: crate::fresh("tmux"),
        };
        let o = Command::new("tmux")
            .args(["-L", &t.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .args(["-s", "t", "sh"])
            .env("ENV", rc)
            .env_remove("TMUX")
            .output()
            .expect("tmux");
        assert!(
            o.status.success(),
            "tmux new-session: {}",
            crate::stderr(&o)
        );
        t.wait_for("the shell's prompt", |s| s.ends_with('$'));
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        assert!(o.status.success(), "tmux {args:?}: {}", crate::stderr(&o));
        crate::stdout(&o)
    }

    /// Type `line` and Enter.
    pub fn line(&self, line: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", line]);
        self.tmux(&["send-keys", "-t", "t", "Enter"]);
    }

    /// Press keys by tmux's names (`C-c`, `C-p`).
    pub fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "t"];
        a.extend_from_slice(keys);
        self.tmux(&a);
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "t",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
    }

    /// The screen as it shows now, trailing blank lines dropped.
    pub fn screen(&self) -> String {
        let s = self.tmux(&["capture-pane", "-p", "-t", "t"]);
        s.trim_end().to_string()
    }

    /// Wait (20 s at most) until the screen passes `f`; the screen.
    pub fn wait_for(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(Instant::now() < end, "timed out: {what}; the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the screen's last line is `last` (a prompt, typically).
    pub fn wait_last(&self, what: &str, last: &str) -> String {
        self.wait_for(what, |s| {
            s.lines().last().map(str::trim_end) == Some(last.trim_end())
        })
    }
}

/// A test shell's rc file in `r`'s temp dir (`name`): the prompt `$ `,
/// `R` running `tool` (`rvol`: this build's scripts and binaries, on
/// `r`'s state root) and `vars` as shell variables, so that the lines a
/// test types are the same for rvol and docker.
pub fn shell_rc(r: &crate::TestRoot, name: &str, tool: &str, vars: &[(&str, &str)]) -> PathBuf {
    let rc = r.tmp.join(format!("rc-{name}"));
    let mut text = format!("PS1='$ '\nR() {{ {tool} \"$@\"; }}\n");
    for (k, v) in vars {
        text.push_str(&format!("{k}='{v}'\n"));
    }
    text.push_str(&format!(
        "RVOL_ROOT='{root}'\nRVOL_BIN_DIR='{bin}'\nPATH='{scripts}':$PATH\n\
         export RVOL_ROOT RVOL_BIN_DIR PATH\n",
        root = r.path().display(),
        bin = crate::bin_dir().display(),
        scripts = crate::repo().join("scripts").display(),
    ));
    std::fs::write(&rc, text).unwrap();
    rc
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        // Its socket, when the server left it (tmux's default directory).
        // SAFETY: geteuid(2) cannot fail.
        let uid = unsafe { libc::geteuid() };
        let dir = std::env::var("TMUX_TMPDIR").unwrap_or_else(|_| "/tmp".into());
        let _ = std::fs::remove_file(format!("{dir}/tmux-{uid}/{}", self.socket));
    }
}

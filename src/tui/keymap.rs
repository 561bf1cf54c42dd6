//! Key bindings: parsing keymap files, merging a user file over the defaults, and
//! resolving key sequences (`g g`) to actions in a stack of contexts.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;
use super::config::{self, ConfigWarning, Source};

/// The embedded keymaps, the default first.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Everywhere outside text input (and with modifiers, inside it too).
    Global,
    /// Lists and the read-only tabs.
    List,
    /// Add/edit forms.
    Form,
    /// The filter bar.
    Filter,
    /// Confirmation dialogs and overlays.
    Dialog,
    /// The import dialog (consulted before [`Context::Form`], whose editing keys apply).
    Import,
}

impl Context {
    /// Every context, in help order.
    pub const ALL: [Context; 6] = [
        Context::Global,
        Context::List,
        Context::Form,
        Context::Filter,
        Context::Dialog,
        Context::Import,
    ];

    /// The table name in keymap files.
    pub fn name(&self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Form => "form",
            Context::Filter => "filter",
            Context::Dialog => "dialog",
            Context::Import => "import",
        }
    }

    fn from_name(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Whether typing plain characters in this context enters text.
    pub fn is_text(&self) -> bool {
        matches!(self, Context::Form | Context::Filter | Context::Import)
    }
}

/// One key press: a code and its modifiers, normalised so that `G` and
/// `shift-g` are the same chord.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift only for non-character keys).
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// Builds a normalised chord.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = code;
        match code {
            KeyCode::Char(c) => {
                if mods.contains(KeyModifiers::SHIFT) {
                    mods.remove(KeyModifiers::SHIFT);
                    code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                }
                if mods.contains(KeyModifiers::CONTROL) && c.is_ascii_uppercase() {
                    // ctrl-S arrives as ctrl-s on most terminals
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeyChord { code, mods }
    }

    /// The chord of a terminal key event.
    pub fn from_event(e: &KeyEvent) -> KeyChord {
        KeyChord::new(e.code, e.modifiers)
    }

    /// A plain character typed without Ctrl/Alt, if this is one.
    pub fn text_char(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c)
                if !self
                    .mods
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(c)
            }
            _ => None,
        }
    }

    /// Parses `ctrl-s`, `C-x`, `M-<`, `shift-tab`, `enter`, `G`, `?`, `space`, `f5`.
    pub fn parse(s: &str) -> Result<KeyChord, String> {
        let mut rest = s;
        let mut mods = KeyModifiers::empty();
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else if rest.starts_with("C-") && rest.len() > 2 {
                (KeyModifiers::CONTROL, 2)
            } else if rest.starts_with("M-") && rest.len() > 2 {
                (KeyModifiers::ALT, 2)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            (None, _) => return Err(format!("empty key in '{s}'")),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "ret" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" | "spc" => KeyCode::Char(' '),
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "minus" => KeyCode::Char('-'),
                "lt" => KeyCode::Char('<'),
                "gt" => KeyCode::Char('>'),
                f if f.starts_with('f') && f.len() <= 3 => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key '{rest}'")),
                },
                _ => return Err(format!("unknown key '{rest}'")),
            },
        };
        Ok(KeyChord::new(code, mods))
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Parses a space-separated key sequence such as `g g`.
pub fn parse_keys(s: &str) -> Result<Vec<KeyChord>, String> {
    let keys: Vec<KeyChord> = s
        .split_whitespace()
        .map(KeyChord::parse)
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err("empty key sequence".into());
    }
    Ok(keys)
}

/// Formats a key sequence as written in keymap files.
pub fn format_keys(keys: &[KeyChord]) -> String {
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One binding: keys, what they do, and the text the help overlay shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The key sequence.
    pub keys: Vec<KeyChord>,
    /// The action it runs.
    pub action: Action,
    /// Description for help and hints.
    pub desc: String,
}

/// The result of looking up the keys typed so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A complete binding.
    Action(Action),
    /// The keys start a longer binding: wait for more.
    Pending,
    /// Nothing bound.
    Unbound,
}

/// Bindings grouped by context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    contexts: HashMap<Context, Vec<Binding>>,
}

#[derive(Deserialize)]
struct RawEntry {
    on: toml::Spanned<String>,
    run: toml::Spanned<String>,
    #[serde(default)]
    desc: Option<String>,
}

fn conflicts(a: &[KeyChord], b: &[KeyChord]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

impl Keymap {
    /// The built-in default keymap.
    pub fn default_keymap() -> Keymap {
        Keymap::parse(BUILTIN[0].1, "builtin:default").0
    }

    /// Parses a keymap file. Entries with unknown actions, bad keys or duplicate
    /// bindings are skipped and reported with their line; a file that is not valid
    /// TOML yields an empty keymap and one warning.
    pub fn parse(src: &str, file: &str) -> (Keymap, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let warn = |line: Option<usize>, message: String| ConfigWarning {
            file: file.to_string(),
            line,
            message,
        };
        let raw: HashMap<String, toml::Spanned<Vec<toml::Spanned<RawEntry>>>> =
            match toml::from_str(src) {
                Ok(r) => r,
                Err(e) => {
                    let line = e.span().map(|s| config::line_of(src, s.start));
                    let msg = e.message().trim().to_string();
                    return (Keymap::default(), vec![warn(line, msg)]);
                }
            };
        let mut km = Keymap::default();
        let mut sections: Vec<_> = raw.into_iter().collect();
        sections.sort_by_key(|(_, v)| v.span().start);
        for (name, entries) in sections {
            let Some(ctx) = Context::from_name(&name) else {
                warnings.push(warn(
                    Some(config::line_of(src, entries.span().start)),
                    format!(
                        "unknown context '{name}' (expected global, list, form, filter, dialog or import)"
                    ),
                ));
                continue;
            };
            let list = km.contexts.entry(ctx).or_default();
            for entry in entries.into_inner() {
                let line = config::line_of(src, entry.span().start);
                let e = entry.into_inner();
                let on_line = config::line_of(src, e.on.span().start);
                let run_line = config::line_of(src, e.run.span().start);
                let keys = match parse_keys(e.on.get_ref()) {
                    Ok(k) => k,
                    Err(m) => {
                        warnings.push(warn(Some(on_line), m));
                        continue;
                    }
                };
                let Some(action) = Action::from_name(e.run.get_ref()) else {
                    warnings.push(warn(
                        Some(run_line),
                        format!("unknown action '{}'", e.run.get_ref()),
                    ));
                    continue;
                };
                if let Some(prev) = list.iter().find(|b| conflicts(&b.keys, &keys)) {
                    let what = if prev.keys == keys {
                        "duplicate binding"
                    } else {
                        "conflicting binding"
                    };
                    warnings.push(warn(
                        Some(on_line.max(line)),
                        format!(
                            "{what} '{}' in [{}] (already bound to {} as '{}'); ignored",
                            e.on.get_ref(),
                            ctx.name(),
                            prev.action.name(),
                            format_keys(&prev.keys)
                        ),
                    ));
                    continue;
                }
                let desc = e
                    .desc
                    .filter(|d| !d.trim().is_empty())
                    .unwrap_or_else(|| action.name().replace('_', " "));
                list.push(Binding { keys, action, desc });
            }
        }
        (km, warnings)
    }

    /// Lays `over` on top of this keymap: each of its bindings replaces the ones
    /// here with the same (or a prefix-conflicting) key sequence in that context.
    pub fn merge(&mut self, over: Keymap) {
        for (ctx, bindings) in over.contexts {
            let list = self.contexts.entry(ctx).or_default();
            for b in bindings {
                list.retain(|x| !conflicts(&x.keys, &b.keys));
                list.push(b);
            }
        }
    }

    /// Loads the selected keymap (`NAME|PATH`, default when `None`) and merges
    /// `keymap.toml` from the config dir over it. Problems are returned, never fatal.
    pub fn load(
        selection: Option<&str>,
        config_dir: Option<&Path>,
    ) -> (Keymap, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let mut km = Keymap::default_keymap();
        match config::resolve(selection, BUILTIN) {
            Source::Builtin(name, src) => {
                if name != BUILTIN[0].0 {
                    let (k, w) = Keymap::parse(src, &format!("builtin:{name}"));
                    warnings.extend(w);
                    km = k;
                }
            }
            Source::File(path) => match config::read(&path) {
                Ok(src) => {
                    let (k, w) = Keymap::parse(&src, &path.display().to_string());
                    warnings.extend(w);
                    km.merge(k);
                }
                Err(w) => warnings.push(w),
            },
        }
        if let Some(dir) = config_dir {
            let user = dir.join("keymap.toml");
            if user.exists() {
                match config::read(&user) {
                    Ok(src) => {
                        let (k, w) = Keymap::parse(&src, &user.display().to_string());
                        warnings.extend(w);
                        km.merge(k);
                    }
                    Err(w) => warnings.push(w),
                }
            }
        }
        (km, warnings)
    }

    /// The bindings of one context, in file order.
    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts.get(&ctx).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key sequence bound to `action` in `ctx`, for hints.
    pub fn keys_for(&self, ctx: Context, action: Action) -> Option<String> {
        self.bindings(ctx)
            .iter()
            .find(|b| b.action == action)
            .map(|b| format_keys(&b.keys))
    }

    /// Every key sequence bound to `action` in `ctx`, joined with `/`.
    pub fn all_keys_for(&self, ctx: Context, action: Action) -> String {
        self.bindings(ctx)
            .iter()
            .filter(|b| b.action == action)
            .map(|b| format_keys(&b.keys))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Resolves the keys typed so far against `contexts` (most specific first).
    pub fn lookup(&self, contexts: &[Context], keys: &[KeyChord]) -> Lookup {
        if keys.is_empty() {
            return Lookup::Unbound;
        }
        for ctx in contexts {
            let list = self.bindings(*ctx);
            if let Some(b) = list.iter().find(|b| b.keys == keys) {
                return Lookup::Action(b.action);
            }
            if list
                .iter()
                .any(|b| b.keys.len() > keys.len() && b.keys[..keys.len()] == *keys)
            {
                return Lookup::Pending;
            }
        }
        Lookup::Unbound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Vec<KeyChord> {
        parse_keys(s).unwrap()
    }

    #[test]
    fn chords_normalise() {
        assert_eq!(
            KeyChord::parse("G").unwrap(),
            KeyChord::new(KeyCode::Char('g'), KeyModifiers::SHIFT)
        );
        assert_eq!(
            KeyChord::parse("shift-tab").unwrap(),
            KeyChord::new(KeyCode::BackTab, KeyModifiers::SHIFT)
        );
        assert_eq!(
            KeyChord::parse("C-x").unwrap(),
            KeyChord::parse("ctrl-x").unwrap()
        );
        assert_eq!(KeyChord::parse("M-<").unwrap().to_string(), "alt-<");
        assert_eq!(KeyChord::parse("-").unwrap().code, KeyCode::Char('-'));
        assert!(KeyChord::parse("hyper-x").is_err());
        assert_eq!(format_keys(&k("g g")), "g g");
    }

    #[test]
    fn builtin_keymaps_are_clean_and_described() {
        for (name, src) in BUILTIN {
            let (km, w) = Keymap::parse(src, name);
            assert!(w.is_empty(), "{name}: {w:?}");
            for ctx in Context::ALL {
                assert!(
                    !km.bindings(ctx).is_empty(),
                    "{name} has no [{}]",
                    ctx.name()
                );
            }
            let entry = |l: &&str| l.trim_start().starts_with("{ on =");
            let src_lines = src.lines().filter(entry).count();
            let n: usize = Context::ALL.iter().map(|c| km.bindings(*c).len()).sum();
            assert_eq!(n, src_lines, "{name}: every entry loads");
            for l in src.lines().filter(entry) {
                assert!(l.contains("desc = \""), "{name}: no desc in {l}");
            }
        }
    }

    #[test]
    fn sequences_wait_then_resolve() {
        let km = Keymap::default_keymap();
        let ctx = [Context::List, Context::Global];
        assert_eq!(km.lookup(&ctx, &k("g")), Lookup::Pending);
        assert_eq!(km.lookup(&ctx, &k("g g")), Lookup::Action(Action::Top));
        assert_eq!(km.lookup(&ctx, &k("j")), Lookup::Action(Action::Down));
        assert_eq!(km.lookup(&ctx, &k("down")), Lookup::Action(Action::Down));
        assert_eq!(km.lookup(&ctx, &k("q")), Lookup::Action(Action::Quit));
        assert_eq!(km.lookup(&ctx, &k("ctrl-f12")), Lookup::Unbound);
    }

    #[test]
    fn duplicates_and_unknown_actions_are_reported_with_lines() {
        let src = "[[list]]\non = \"j\"\nrun = \"down\"\ndesc = \"Down\"\n\n[[list]]\non = \"j\"\nrun = \"up\"\ndesc = \"Up\"\n\n[[list]]\non = \"x\"\nrun = \"explode\"\ndesc = \"?\"\n";
        let (km, w) = Keymap::parse(src, "k.toml");
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].line, Some(7));
        assert!(w[0].message.contains("duplicate binding 'j'"), "{}", w[0]);
        assert_eq!(w[1].to_string(), "k.toml:13: unknown action 'explode'");
        assert_eq!(km.bindings(Context::List).len(), 1);
        assert_eq!(km.bindings(Context::List)[0].action, Action::Down);
    }

    #[test]
    fn broken_toml_is_reported_and_defaults_carry_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keymap.toml"), "[[list]\non = ").unwrap();
        let (km, w) = Keymap::load(None, Some(dir.path()));
        assert_eq!(w.len(), 1);
        assert!(w[0].file.ends_with("keymap.toml"));
        assert_eq!(w[0].line, Some(1));
        assert_eq!(km, Keymap::default_keymap());
    }

    #[test]
    fn user_file_merges_over_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("keymap.toml"),
            "list = [ { on = \"g\", run = \"bottom\", desc = \"Bottom!\" } ]\n",
        )
        .unwrap();
        let (km, w) = Keymap::load(None, Some(dir.path()));
        assert!(w.is_empty(), "{w:?}");
        let ctx = [Context::List, Context::Global];
        // the user's "g" replaces the default "g g"
        assert_eq!(km.lookup(&ctx, &k("g")), Lookup::Action(Action::Bottom));
        // untouched defaults remain
        assert_eq!(km.lookup(&ctx, &k("j")), Lookup::Action(Action::Down));
    }

    #[test]
    fn selection_by_name_or_path() {
        let (emacs, w) = Keymap::load(Some("emacs"), None);
        assert!(w.is_empty());
        let ctx = [Context::List, Context::Global];
        assert_eq!(
            emacs.lookup(&ctx, &k("ctrl-n")),
            Lookup::Action(Action::Down)
        );
        assert_eq!(emacs.lookup(&ctx, &k("j")), Lookup::Unbound);
        let (_, w) = Keymap::load(Some("/nonexistent/km.toml"), None);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("cannot read"));
    }
}

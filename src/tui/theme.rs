//! Themes: semantic roles (overdue, selection, muted, ...) mapped to styles, loaded
//! from TOML, merged with a user file, and reduced to what the terminal can show.
//!
//! No colour appears in code: every style comes from a theme file.

use std::collections::HashMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::config::{self, ConfigWarning, Source};

/// The embedded themes, the default first.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

macro_rules! roles {
    ($($(#[$m:meta])* $v:ident = $name:literal),+ $(,)?) => {
        /// What a piece of the screen means; themes give each role a style.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role { $($(#[$m])* $v),+ }
        impl Role {
            /// Every role.
            pub const ALL: &'static [Role] = &[$(Role::$v),+];
            /// The key in theme files.
            pub fn name(&self) -> &'static str {
                match self { $(Role::$v => $name),+ }
            }
        }
    };
}

roles! {
    /// Ordinary text.
    Text = "text",
    /// Less important text (ids, hints, empty cells).
    Muted = "muted",
    /// Table headers.
    Header = "header",
    /// Pane titles.
    Title = "title",
    /// The active tab.
    TabActive = "tab_active",
    /// Other tabs.
    TabInactive = "tab_inactive",
    /// The selected row.
    Selection = "selection",
    /// Overdue invoices and payments of invoices paid late.
    Overdue = "overdue",
    /// Invoices due within the due-soon window.
    DueSoon = "due_soon",
    /// Paid invoices and fully allocated payments.
    Paid = "paid",
    /// Partly paid invoices.
    Partial = "partial",
    /// Credit: unallocated remainders and overpayments.
    Credit = "credit",
    /// Void invoices.
    Void = "void",
    /// Error messages.
    Error = "error",
    /// Warnings.
    Warning = "warning",
    /// Success messages ("saved").
    Success = "success",
    /// Fuzzy-match highlights in cells.
    Highlight = "highlight",
    /// The status bar.
    StatusBar = "status_bar",
    /// Borders.
    Border = "border",
    /// Text input fields.
    Input = "input",
    /// The focused input field.
    InputFocus = "input_focus",
    /// Keys in help and hints.
    Key = "key",
}

/// What the terminal can display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorDepth {
    /// 24-bit colour (`COLORTERM=truecolor|24bit`).
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// The 16 ANSI colours.
    Ansi16,
    /// No colour at all (`NO_COLOR`): modifiers and markers only.
    NoColor,
}

impl ColorDepth {
    /// Detects the depth from environment variables (`NO_COLOR`, `COLORTERM`, `TERM`).
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::NoColor;
        }
        if let Some(ct) = env("COLORTERM") {
            let ct = ct.to_ascii_lowercase();
            if ct == "truecolor" || ct == "24bit" {
                return ColorDepth::TrueColor;
            }
        }
        match env("TERM") {
            Some(t) if t.contains("256color") => ColorDepth::Ansi256,
            _ => ColorDepth::Ansi16,
        }
    }

    /// Detects the depth from this process's environment.
    pub fn from_env() -> ColorDepth {
        ColorDepth::detect(|k| std::env::var(k).ok())
    }
}

/// A role's style as written in a theme file; missing parts come from the theme below.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleSpec {
    /// Foreground colour.
    pub fg: Option<Color>,
    /// Background colour.
    pub bg: Option<Color>,
    /// Text modifiers.
    pub mods: Option<Modifier>,
}

impl RoleSpec {
    fn over(self, base: RoleSpec) -> RoleSpec {
        RoleSpec {
            fg: self.fg.or(base.fg),
            bg: self.bg.or(base.bg),
            mods: self.mods.or(base.mods),
        }
    }
}

/// A theme: a style spec per role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    roles: HashMap<Role, RoleSpec>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawColor {
    Index(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    fg: Option<RawColor>,
    bg: Option<RawColor>,
    mods: Option<Vec<String>>,
}

/// Parses a colour: `#rrggbb`, a palette index 0-255, or an ANSI name (`red`, `light_blue`...).
pub fn parse_color(s: &str) -> Result<Color, String> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("'{s}' is not a #rrggbb colour"));
    }
    let key: String = t
        .chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase();
    let c = match key.as_str() {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return Err(format!("unknown colour '{s}'")),
    };
    Ok(c)
}

fn parse_modifier(s: &str) -> Result<Modifier, String> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
        "slow_blink" | "blink" => Modifier::SLOW_BLINK,
        other => return Err(format!("unknown modifier '{other}'")),
    })
}

impl Theme {
    /// The built-in default theme.
    pub fn default_theme() -> Theme {
        Theme::parse(BUILTIN[0].1, "builtin:default").0
    }

    /// Parses a theme file. Unknown roles, bad colours and bad modifiers are
    /// reported with their line and skipped; the rest of the file applies.
    pub fn parse(src: &str, file: &str) -> (Theme, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let warn = |line: usize, message: String| ConfigWarning {
            file: file.to_string(),
            line: Some(line),
            message,
        };
        let raw: HashMap<String, toml::Spanned<toml::Value>> = match toml::from_str(src) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Theme::default(),
                    vec![ConfigWarning {
                        file: file.to_string(),
                        line: e.span().map(|s| config::line_of(src, s.start)),
                        message: e.message().trim().to_string(),
                    }],
                )
            }
        };
        let mut theme = Theme::default();
        let mut entries: Vec<_> = raw.into_iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);
        for (name, value) in entries {
            let line = config::line_of(src, value.span().start);
            let Some(role) = Role::ALL.iter().copied().find(|r| r.name() == name) else {
                warnings.push(warn(line, format!("unknown role '{name}'")));
                continue;
            };
            let raw_role: RawRole = match value.into_inner().try_into() {
                Ok(r) => r,
                Err(e) => {
                    let e: toml::de::Error = e;
                    warnings.push(warn(line, format!("role '{name}': {}", e.message().trim())));
                    continue;
                }
            };
            let mut spec = RoleSpec::default();
            let mut color = |c: Option<RawColor>, what: &str| -> Option<Color> {
                let r = match c? {
                    RawColor::Index(i) => u8::try_from(i)
                        .map(Color::Indexed)
                        .map_err(|_| format!("colour index {i} is not 0-255")),
                    RawColor::Name(n) => parse_color(&n),
                };
                match r {
                    Ok(col) => Some(col),
                    Err(m) => {
                        warnings.push(warn(line, format!("role '{name}' {what}: {m}")));
                        None
                    }
                }
            };
            spec.fg = color(raw_role.fg, "fg");
            spec.bg = color(raw_role.bg, "bg");
            if let Some(mods) = raw_role.mods {
                let mut m = Modifier::empty();
                for s in &mods {
                    match parse_modifier(s) {
                        Ok(x) => m |= x,
                        Err(msg) => warnings.push(warn(line, format!("role '{name}': {msg}"))),
                    }
                }
                spec.mods = Some(m);
            }
            theme.roles.insert(role, spec);
        }
        (theme, warnings)
    }

    /// Lays `over` on top of this theme, field by field.
    pub fn merge(&mut self, over: Theme) {
        for (role, spec) in over.roles {
            let base = self.roles.get(&role).copied().unwrap_or_default();
            self.roles.insert(role, spec.over(base));
        }
    }

    /// The spec of a role (empty if the theme does not set it).
    pub fn spec(&self, role: Role) -> RoleSpec {
        self.roles.get(&role).copied().unwrap_or_default()
    }

    /// Loads the selected theme (`NAME|PATH`, default when `None`) over the default
    /// and merges `theme.toml` from the config dir over it.
    pub fn load(selection: Option<&str>, config_dir: Option<&Path>) -> (Theme, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let mut theme = Theme::default_theme();
        let layer =
            |src: &str, file: &str, theme: &mut Theme, warnings: &mut Vec<ConfigWarning>| {
                let (t, w) = Theme::parse(src, file);
                warnings.extend(w);
                theme.merge(t);
            };
        match config::resolve(selection, BUILTIN) {
            Source::Builtin(name, src) => {
                if name != BUILTIN[0].0 {
                    // A builtin replaces the default whole: roles it leaves out stay plain.
                    theme = Theme::default();
                    layer(src, &format!("builtin:{name}"), &mut theme, &mut warnings);
                }
            }
            Source::File(path) => match config::read(&path) {
                Ok(src) => layer(&src, &path.display().to_string(), &mut theme, &mut warnings),
                Err(w) => warnings.push(w),
            },
        }
        if let Some(dir) = config_dir {
            let user = dir.join("theme.toml");
            if user.exists() {
                match config::read(&user) {
                    Ok(src) => layer(&src, &user.display().to_string(), &mut theme, &mut warnings),
                    Err(w) => warnings.push(w),
                }
            }
        }
        (theme, warnings)
    }

    /// Resolves every role to a style the terminal can show.
    pub fn styles(&self, depth: ColorDepth) -> Styles {
        let mut styles = [Style::default(); ROLE_COUNT];
        for role in Role::ALL {
            let spec = self.spec(*role);
            let mut s = Style::default();
            let mut mods = spec.mods.unwrap_or_else(Modifier::empty);
            if depth == ColorDepth::NoColor {
                // Without colour, reverse video is unreliable: selection is marked
                // with bold + underline (and the `>` marker column).
                mods.remove(Modifier::REVERSED);
                if *role == Role::Selection {
                    mods |= Modifier::BOLD | Modifier::UNDERLINED;
                }
            } else {
                if let Some(fg) = spec.fg {
                    s = s.fg(map_color(fg, depth));
                }
                if let Some(bg) = spec.bg {
                    s = s.bg(map_color(bg, depth));
                }
            }
            s = s.add_modifier(mods);
            styles[*role as usize] = s;
        }
        Styles { styles, depth }
    }
}

const ROLE_COUNT: usize = 22;

/// Every role's final style for one terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Styles {
    styles: [Style; ROLE_COUNT],
    depth: ColorDepth,
}

impl Styles {
    /// The style of a role.
    pub fn get(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// The colour depth these styles were resolved for.
    pub fn depth(&self) -> ColorDepth {
        self.depth
    }
}

impl Default for Styles {
    fn default() -> Self {
        Theme::default_theme().styles(ColorDepth::Ansi256)
    }
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[i as usize].1,
        16..=231 => {
            let n = i - 16;
            (
                CUBE[(n / 36) as usize],
                CUBE[((n / 6) % 6) as usize],
                CUBE[(n % 6) as usize],
            )
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

fn rgb_to_256(rgb: (u8, u8, u8)) -> u8 {
    let level = |v: u8| -> usize {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).abs())
            .map(|(i, _)| i)
            .unwrap_or(0)
    };
    let (r, g, b) = (level(rgb.0), level(rgb.1), level(rgb.2));
    let cube = (16 + 36 * r + 6 * g + b) as u8;
    let avg = (u32::from(rgb.0) + u32::from(rgb.1) + u32::from(rgb.2)) / 3;
    let gray_i = if avg < 8 {
        232
    } else {
        (232 + ((avg - 8) / 10).min(23)) as u8
    };
    if dist(index_to_rgb(gray_i), rgb) < dist(index_to_rgb(cube), rgb) {
        gray_i
    } else {
        cube
    }
}

fn rgb_to_16(rgb: (u8, u8, u8)) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, c)| dist(*c, rgb))
        .map(|(c, _)| *c)
        .unwrap_or(Color::Reset)
}

/// Maps a theme colour to the nearest one the terminal can show.
pub fn map_color(c: Color, depth: ColorDepth) -> Color {
    match (depth, c) {
        (ColorDepth::NoColor, _) => Color::Reset,
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(rgb_to_256((r, g, b))),
        (ColorDepth::Ansi256, c) => c,
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => rgb_to_16((r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) => rgb_to_16(index_to_rgb(i)),
        (ColorDepth::Ansi16, c) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn role_count_matches() {
        assert_eq!(Role::ALL.len(), ROLE_COUNT);
    }

    #[test]
    fn depth_detection() {
        assert_eq!(
            ColorDepth::detect(env(&[("COLORTERM", "truecolor"), ("TERM", "xterm")])),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm-256color")])),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm")])),
            ColorDepth::Ansi16
        );
        assert_eq!(ColorDepth::detect(env(&[])), ColorDepth::Ansi16);
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", "1"), ("COLORTERM", "24bit")])),
            ColorDepth::NoColor
        );
        // empty NO_COLOR does not count
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", ""), ("TERM", "screen-256color")])),
            ColorDepth::Ansi256
        );
    }

    #[test]
    fn builtin_themes_parse_and_cover_key_roles() {
        for (name, src) in BUILTIN {
            let (t, w) = Theme::parse(src, name);
            assert!(w.is_empty(), "{name}: {w:?}");
            for r in [
                Role::Overdue,
                Role::DueSoon,
                Role::Selection,
                Role::Paid,
                Role::Credit,
            ] {
                let s = t.styles(ColorDepth::NoColor).get(r);
                assert!(
                    !s.add_modifier.is_empty() || r == Role::Paid || r == Role::Credit,
                    "{name}: {r:?} has no modifier for NO_COLOR"
                );
            }
        }
        let (mono, _) = Theme::load(Some("mono"), None);
        for r in Role::ALL {
            assert_eq!(mono.spec(*r).fg, None, "mono has colour in {r:?}");
            assert_eq!(mono.spec(*r).bg, None);
        }
    }

    #[test]
    fn colours_map_down() {
        assert_eq!(
            map_color(Color::Rgb(255, 0, 0), ColorDepth::TrueColor),
            Color::Rgb(255, 0, 0)
        );
        assert_eq!(
            map_color(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            map_color(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Color::Indexed(244)
        );
        assert_eq!(
            map_color(Color::Rgb(250, 10, 10), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            map_color(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(map_color(Color::Red, ColorDepth::Ansi16), Color::Red);
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::default_theme();
        let s = t.styles(ColorDepth::NoColor);
        for r in Role::ALL {
            let st = s.get(*r);
            assert!(st.fg.is_none() && st.bg.is_none(), "{r:?} has colour");
            assert!(!st.add_modifier.contains(Modifier::REVERSED));
        }
        let sel = s.get(Role::Selection).add_modifier;
        assert!(sel.contains(Modifier::BOLD | Modifier::UNDERLINED));
        assert!(s.get(Role::Overdue).add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn bad_user_theme_reported_and_merged_field_by_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("theme.toml"),
            "# mine\noverdue = { fg = \"#ff0000\" }\nbogus = { fg = \"red\" }\npaid = { fg = \"chartreuse\" }\n",
        )
        .unwrap();
        let (t, w) = Theme::load(None, Some(dir.path()));
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].line, Some(3));
        assert!(w[0].message.contains("unknown role 'bogus'"));
        assert_eq!(w[1].line, Some(4));
        assert!(w[1].to_string().contains("theme.toml:4:"));
        let base = Theme::default_theme();
        let o = t.spec(Role::Overdue);
        assert_eq!(o.fg, Some(Color::Rgb(255, 0, 0)));
        // modifiers not given by the user stay
        assert_eq!(o.mods, base.spec(Role::Overdue).mods);
        // the bad colour leaves the default
        assert_eq!(t.spec(Role::Paid).fg, base.spec(Role::Paid).fg);
        let (_, w) = Theme::load(None, None);
        assert!(w.is_empty());
        std::fs::write(dir.path().join("theme.toml"), "overdue = {").unwrap();
        let (t, w) = Theme::load(None, Some(dir.path()));
        assert_eq!(w.len(), 1);
        assert_eq!(t, Theme::default_theme());
    }
}

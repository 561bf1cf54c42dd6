//! A one-line text input: the text, a cursor, and the editing actions.

use super::action::Action;

/// Editable single-line text with a cursor (in characters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

impl TextInput {
    /// An input holding `text` with the cursor at the end.
    pub fn new(text: &str) -> TextInput {
        TextInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Cursor position in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the text, cursor at the end.
    pub fn set(&mut self, text: &str) {
        *self = TextInput::new(text);
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Inserts text at the cursor; line breaks and control characters become spaces.
    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            self.insert(c);
        }
    }

    /// Inserts one character at the cursor.
    pub fn insert(&mut self, c: char) {
        let c = if c.is_control() { ' ' } else { c };
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// Applies an editing action; returns whether the text changed (`None` when the
    /// action is not an editing action).
    pub fn apply(&mut self, a: Action) -> Option<bool> {
        let len = self.text.chars().count();
        match a {
            Action::CursorLeft => self.cursor = self.cursor.saturating_sub(1),
            Action::CursorRight => self.cursor = (self.cursor + 1).min(len),
            Action::CursorHome => self.cursor = 0,
            Action::CursorEnd => self.cursor = len,
            Action::DeleteBack => {
                if self.cursor == 0 {
                    return Some(false);
                }
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                return Some(true);
            }
            Action::DeleteForward => {
                if self.cursor >= len {
                    return Some(false);
                }
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                return Some(true);
            }
            Action::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut i = self.cursor;
                while i > 0 && chars[i - 1] == ' ' {
                    i -= 1;
                }
                while i > 0 && chars[i - 1] != ' ' {
                    i -= 1;
                }
                if i == self.cursor {
                    return Some(false);
                }
                let (a, b) = (self.byte_at(i), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = i;
                return Some(true);
            }
            Action::ClearInput => {
                let changed = !self.text.is_empty();
                self.set("");
                return Some(changed);
            }
            _ => return None,
        }
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut t = TextInput::new("Müller");
        t.apply(Action::CursorHome);
        t.apply(Action::CursorRight);
        t.apply(Action::CursorRight);
        t.insert('X');
        assert_eq!(t.text(), "MüXller");
        assert_eq!(t.apply(Action::DeleteBack), Some(true));
        t.apply(Action::CursorLeft);
        assert_eq!(t.apply(Action::DeleteBack), Some(true));
        assert_eq!(t.text(), "üller");
        t.set("party:acme status:open");
        assert_eq!(t.apply(Action::DeleteWord), Some(true));
        assert_eq!(t.text(), "party:acme ");
        t.insert_str("a\nb");
        assert_eq!(t.text(), "party:acme a b");
        assert_eq!(t.apply(Action::Up), None);
    }
}

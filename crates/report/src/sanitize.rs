//! Text from hosts is shown to an operator's terminal and written into Markdown: its
//! terminal controls are made visible instead of obeyed. ESC (and so CSI and OSC
//! sequences: colours, cursor moves, clearing the screen, setting the window title,
//! hyperlinks), BEL, CR (which can overwrite what a line said), DEL and every other C0 or
//! C1 control except newline and tab become a visible `\xNN` / `\u{NN}`.

use std::borrow::Cow;

fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{7f}'..='\u{9f}')
}

/// `s` with every terminal control but `\n` and `\t` neutralised.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_control(c) {
            let n = c as u32;
            if n < 0x80 {
                o.push_str(&format!("\\x{n:02x}"));
            } else {
                o.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(neutralize("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            neutralize("a\x1b]0;t\x07b\x1b[2Jc\rd\u{9b}e\x7f"),
            "a\\x1b]0;t\\x07b\\x1b[2Jc\\x0dd\\u{9b}e\\x7f"
        );
    }
}

//! The text form of a filter, read into a tree of terms, each term and
//! group knowing the character where it starts.
//!
//! ```text
//! query   = or
//! or      = and { "OR" and }
//! and     = unary { [ "AND" ] unary }      terms side by side must all hold
//! unary   = ( "-" | "NOT" ) unary | primary
//! primary = "(" or ")" | term
//! term    = [ name ":" ] value             no name: a search
//! value   = phrase | word                  a phrase is "quoted", \" inside
//! ```
//!
//! A word runs to the next space, parenthesis or quote; a term's value
//! keeps its comparison (`>100`, `1..5`, `ali*`) for the field to read.

use super::QueryError;

/// Most characters of a query.
pub const MAX_CHARS: usize = 2_000;
/// Most terms of a query.
pub const MAX_TERMS: usize = 50;

/// A read query.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Term(Term),
    /// Every one holds; two or more.
    And(Vec<Node>),
    /// At least one holds; two or more.
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// One `name:value` or bare value.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The field's name as written (lower-cased); none for a search.
    pub name: Option<String>,
    pub value: String,
    /// Whether the value was a quoted phrase (taken literally).
    pub quoted: bool,
    /// The character the term starts at.
    pub at: usize,
    /// The character its value starts at.
    pub value_at: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Minus,
    Word(String),
    Phrase(String),
    /// `name:` right before a value.
    Name(String),
}

/// Reads `text` into its tree.
pub fn parse(text: &str) -> Result<Node, QueryError> {
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(QueryError::new(
            MAX_CHARS,
            format!("a query is at most {MAX_CHARS} characters"),
        ));
    }
    let tokens = tokens(text)?;
    let terms = tokens
        .iter()
        .filter(|(t, _)| matches!(t, Token::Word(_) | Token::Phrase(_)))
        .count();
    if let Some((_, at)) = tokens
        .iter()
        .filter(|(t, _)| matches!(t, Token::Word(_) | Token::Phrase(_)))
        .nth(MAX_TERMS)
    {
        return Err(QueryError::new(
            *at,
            format!("a query has at most {MAX_TERMS} terms ({terms} given)"),
        ));
    }
    let mut parser = Parser {
        tokens,
        next: 0,
        end: chars,
    };
    if parser.tokens.is_empty() {
        return Err(QueryError::new(0, "the query is empty"));
    }
    let node = parser.or()?;
    match parser.peek() {
        None => Ok(node),
        Some((Token::Close, at)) => Err(QueryError::new(at, "unmatched `)`")),
        Some((_, at)) => Err(QueryError::new(at, "unexpected text")),
    }
}

/// Splits `text` into tokens with the character each starts at.
fn tokens(text: &str) -> Result<Vec<(Token, usize)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ends_word = |c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"';
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Token::Open, i));
            i += 1;
        } else if c == ')' {
            out.push((Token::Close, i));
            i += 1;
        } else if c == '-'
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ')')
        {
            // A minus that starts a term negates it; inside a word
            // (`2024-01-01`) it is part of the word.
            out.push((Token::Minus, i));
            i += 1;
        } else if c == '-' {
            return Err(QueryError::new(i, "`-` needs a term right after it"));
        } else if c == '"' {
            let (phrase, next) = phrase(&chars, i)?;
            out.push((Token::Phrase(phrase), i));
            i = next;
        } else {
            let start = i;
            while i < chars.len() && !ends_word(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // `name:value`: the name is letters, digits, `_` and `.`.
            match word.split_once(':') {
                Some((name, value))
                    if !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '.') =>
                {
                    out.push((Token::Name(name.to_lowercase()), start));
                    let value_at = start + name.chars().count() + 1;
                    if !value.is_empty() {
                        out.push((Token::Word(value.to_owned()), value_at));
                    } else if chars.get(i) == Some(&'"') {
                        let (phrase, next) = phrase(&chars, i)?;
                        out.push((Token::Phrase(phrase), i));
                        i = next;
                    } else {
                        return Err(QueryError::new(
                            value_at,
                            format!("`{name}:` needs a value"),
                        ));
                    }
                }
                _ => out.push((Token::Word(word), start)),
            }
        }
    }
    Ok(out)
}

/// The phrase opened by the quote at `open`, and the character after it.
/// A phrase of nothing but spaces would match every customer: refused.
fn phrase(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let mut text = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            '"' if text.trim().is_empty() => {
                return Err(QueryError::new(open, "an empty phrase"));
            }
            '"' => return Ok((text, i + 1)),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::new(open, "unclosed quote"))
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    /// The query's length, where an error at its end points.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<(Token, usize)> {
        self.tokens.get(self.next).cloned()
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some((Token::Word(w), _)) if w == word)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut branches = vec![self.and()?];
        while self.is_keyword("OR") {
            self.next += 1;
            branches.push(self.and()?);
        }
        Ok(if branches.len() == 1 {
            branches.remove(0)
        } else {
            Node::Or(branches)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut all = vec![self.unary()?];
        loop {
            if self.is_keyword("AND") {
                self.next += 1;
                all.push(self.unary()?);
                continue;
            }
            match self.peek() {
                None | Some((Token::Close, _)) => break,
                Some((Token::Word(w), _)) if w == "OR" => break,
                Some(_) => all.push(self.unary()?),
            }
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Node::And(all)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.peek() {
            Some((Token::Minus, _)) => {
                self.next += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some((Token::Word(w), _)) if w == "NOT" => {
                self.next += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node, QueryError> {
        let Some((token, at)) = self.peek() else {
            return Err(QueryError::new(
                self.end,
                "the query ends where a term was expected",
            ));
        };
        self.next += 1;
        match token {
            Token::Open => {
                if matches!(self.peek(), Some((Token::Close, _))) {
                    return Err(QueryError::new(at, "empty parentheses"));
                }
                let inner = self.or()?;
                match self.peek() {
                    Some((Token::Close, _)) => {
                        self.next += 1;
                        Ok(inner)
                    }
                    _ => Err(QueryError::new(at, "unclosed `(`")),
                }
            }
            Token::Close => Err(QueryError::new(at, "unmatched `)`")),
            Token::Minus => Err(QueryError::new(at, "unexpected `-`")),
            Token::Word(w) if w == "AND" || w == "OR" => Err(QueryError::new(
                at,
                format!("`{w}` needs a term on each side"),
            )),
            Token::Word(value) => Ok(Node::Term(Term {
                name: None,
                value,
                quoted: false,
                at,
                value_at: at,
            })),
            Token::Phrase(value) => Ok(Node::Term(Term {
                name: None,
                value,
                quoted: true,
                at,
                value_at: at,
            })),
            Token::Name(name) => match self.peek() {
                Some((Token::Word(value), value_at)) => {
                    self.next += 1;
                    Ok(Node::Term(Term {
                        name: Some(name),
                        value,
                        quoted: false,
                        at,
                        value_at,
                    }))
                }
                Some((Token::Phrase(value), value_at)) => {
                    self.next += 1;
                    Ok(Node::Term(Term {
                        name: Some(name),
                        value,
                        quoted: true,
                        at,
                        value_at,
                    }))
                }
                _ => Err(QueryError::new(at, format!("`{name}:` needs a value"))),
            },
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn term(name: Option<&str>, value: &str) -> String {
        match name {
            Some(n) => format!("{n}:{value}"),
            None => value.to_owned(),
        }
    }

    /// The tree as a compact string: `(a & b)`, `(a | b)`, `!a`.
    fn shape(node: &Node) -> String {
        let join = |list: &[Node], sep: &str| {
            let parts: Vec<String> = list.iter().map(shape).collect();
            format!("({})", parts.join(sep))
        };
        match node {
            Node::Term(t) => term(t.name.as_deref(), &t.value),
            Node::And(list) => join(list, " & "),
            Node::Or(list) => join(list, " | "),
            Node::Not(inner) => format!("!{}", shape(inner)),
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tightest() {
        for (query, tree) in [
            ("a b OR c", "((a & b) | c)"),
            ("a (b OR c)", "(a & (b | c))"),
            ("a AND -b OR NOT c", "((a & !b) | !c)"),
            ("-(a b)", "!(a & b)"),
            (
                "tag:vip created_at:2024-01-01..2024-02-01",
                "(tag:vip & created_at:2024-01-01..2024-02-01)",
            ),
        ] {
            assert_eq!(shape(&parse(query).unwrap()), tree, "{query}");
        }
    }

    #[test]
    fn a_lone_minus_and_an_empty_phrase_are_refused_where_they_stand() {
        for (query, at) in [
            ("tag:vip -", 8),
            ("-", 0),
            ("(tag:a - ) b", 7),
            ("\"\"", 0),
            ("tag:vip \" \"", 8),
            ("name:\"\"", 5),
        ] {
            let refused = parse(query).expect_err(query);
            assert_eq!(refused.position, at, "{query}: {refused:?}");
        }
        assert!(parse("created:2024-01-01 -tag:a").is_ok());
    }

    #[test]
    fn phrases_keep_their_text_and_positions_count_characters() {
        let Node::And(list) = parse(r#"städte:"a \"b\" c" x"#).unwrap() else {
            panic!("two terms")
        };
        let Node::Term(first) = &list[0] else {
            panic!("a term")
        };
        assert_eq!(first.value, r#"a "b" c"#);
        assert!(first.quoted);
        assert_eq!(first.value_at, 7);
        let Node::Term(second) = &list[1] else {
            panic!("a term")
        };
        assert_eq!(second.at, 19);
        assert_eq!(parse("é )").unwrap_err().position, 2);
    }
}

//! Whether two customers of one tenant are likely the same person.
//!
//! The finder never compares all pairs. It files every customer under its
//! [`blocking_keys`] and scores only customers that share a key:
//!
//! - `e:<email>`: every email, normalised by [`normalise_email`];
//! - `p:<phone>`: every phone, as stored (E.164);
//! - `n:<first> <last>`: the canonical first name (nicknames folded, "Bill"
//!   → "william") and the folded last name;
//! - `s:<soundex>:<start>`: the Soundex code of the last name and the
//!   first two letters of the canonical first name, so that typos ("Smyth"/"Smith",
//!   "Jonathon"/"Jonathan") still meet.
//!
//! These keys are enough: [`score`] proposes a pair only when it shares an
//! email (`e:`), a phone (`p:`), the same name (`n:`) or a similar name,
//! and a similar name requires the same `s:` key by definition. Company,
//! email domain and address only raise the score of a pair that already
//! met, so they need no key of their own.
//!
//! The score is symmetric and lies between [`MIN_SCORE`] and 1; the signals
//! behind it are listed as stable machine strings (the `SAME_*` and
//! `SIMILAR_*` constants).

use std::collections::BTreeSet;

/// What the finder compares of a customer.
#[derive(Clone, Debug, Default)]
pub struct Person {
    /// Given name, as entered.
    pub first_name: Option<String>,
    /// Family name, as entered.
    pub last_name: Option<String>,
    /// Display name, used when first or last name is absent ("Jon Smith").
    pub name: Option<String>,
    /// Email addresses, already lower-cased and valid, primary first.
    pub emails: Vec<String>,
    /// Phone numbers, already E.164 ("+4915112345678"), primary first.
    pub phones: Vec<String>,
    /// Company name, as entered.
    pub company: Option<String>,
    /// First line of the default address.
    pub address_line1: Option<String>,
    /// Postal code of the default address.
    pub postal_code: Option<String>,
    /// City of the default address.
    pub city: Option<String>,
    /// Country of the default address, ISO 3166 alpha-2.
    pub country: Option<String>,
}

/// How likely two customers are the same person, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Likeness {
    /// Between [`MIN_SCORE`] and 1; see [`score`] for the table.
    pub score: f64,
    /// The signals found, in the order the constants are declared here.
    pub reasons: Vec<&'static str>,
}

/// Some normalised email is shared.
pub const SAME_EMAIL: &str = "SAME_EMAIL";
/// Some phone is shared.
pub const SAME_PHONE: &str = "SAME_PHONE";
/// Canonical first name and folded last name are equal.
pub const SAME_NAME: &str = "SAME_NAME";
/// Names are close: the same phonetic key, and a full-name Jaro–Winkler
/// similarity of at least 0.88 or the same last name with one first name a
/// short form of the other.
pub const SIMILAR_NAME: &str = "SIMILAR_NAME";
/// Some email domain is shared, and it is not a free-mail provider.
pub const SAME_EMAIL_DOMAIN: &str = "SAME_EMAIL_DOMAIN";
/// Some email local part is shared on different domains.
pub const SAME_EMAIL_LOCAL: &str = "SAME_EMAIL_LOCAL";
/// Some phones differ but end in the same eight digits.
pub const SIMILAR_PHONE: &str = "SIMILAR_PHONE";
/// Folded address line 1 and postal code are equal (countries not differing).
pub const SAME_ADDRESS: &str = "SAME_ADDRESS";
/// Folded company names are equal, legal forms ("GmbH", "Inc") ignored.
pub const SAME_COMPANY: &str = "SAME_COMPANY";

/// Pairs scoring below this are not proposed.
pub const MIN_SCORE: f64 = 0.6;

const JARO_WINKLER_MIN: f64 = 0.88;
const SHORT_FORM_MIN_LEN: usize = 3;
const PHONE_TAIL_LEN: usize = 8;

/// Legal forms dropped from the end of a company name.
const LEGAL_FORMS: &[&str] = &[
    "ag", "bv", "co", "corp", "gmbh", "inc", "kg", "limited", "llc", "ltd", "plc", "sa", "sarl",
];
/// Canonical first names that are short forms of each other.
const SHORT_FORM_PAIRS: &[(&str, &str)] = &[("john", "jonathan")];

/// Normalises an email for comparison: [`written_email`], and for Gmail
/// the dots in the local part dropped too.
pub fn normalise_email(email: &str) -> String {
    let mut written = written_email(email);
    if let Some((local, "gmail.com")) = written.rsplit_once('@') {
        written = format!("{}@gmail.com", local.replace('.', ""));
    }
    written
}

/// An email as written, for comparing its parts: trimmed and lower-cased,
/// a `+suffix` dropped from the local part, googlemail.com read as
/// gmail.com.
fn written_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email;
    };
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let local = match local.split_once('+') {
        Some((head, _)) if !head.is_empty() => head,
        _ => local,
    };
    format!("{local}@{domain}")
}

/// Longest blocking key, in characters: the width of the tables' key
/// column. A longer key (a long name, or an address near its 254 bytes)
/// is cut; customers it then groups are still scored on whole values.
const MAX_KEY_CHARS: usize = 255;

/// The keys under which a customer is compared with others, prefixed
/// (`e:`, `p:`, `n:`, `s:`; see the module doc), cut to
/// [`MAX_KEY_CHARS`], deduplicated and sorted.
pub fn blocking_keys(p: &Person) -> Vec<String> {
    let mut keys = BTreeSet::new();
    for email in p.emails.iter().filter(|e| !e.trim().is_empty()) {
        keys.insert(format!("e:{}", normalise_email(email)));
    }
    for phone in p.phones.iter().filter(|phone| !phone.is_empty()) {
        keys.insert(format!("p:{phone}"));
    }
    if let Some(name) = Name::of(p) {
        keys.insert(format!("n:{} {}", name.canonical, name.last));
        if let Some(key) = name.phonetic_key() {
            keys.insert(format!("s:{key}"));
        }
    }
    let cut = |key: String| match key.char_indices().nth(MAX_KEY_CHARS) {
        Some((end, _)) => key[..end].to_owned(),
        None => key,
    };
    let cut: BTreeSet<String> = keys.into_iter().map(cut).collect();
    cut.into_iter().collect()
}

/// The name as the finder compares it (`first|canonical first|last`,
/// folded), kept beside a customer's `s:` key so that the members of a
/// sound-alike block can be told apart without reading their rows.
pub fn name_signature(p: &Person) -> Option<String> {
    let name = Name::of(p)?;
    Some(format!("{}|{}|{}", name.first, name.canonical, name.last))
}

/// Whether two [`name_signature`]s are the same or similar names: the
/// only members of a sound-alike block that can make a pair.
pub fn close_signatures(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        let mut parts = s.splitn(3, '|');
        Some(Name {
            first: parts.next()?.to_owned(),
            canonical: parts.next()?.to_owned(),
            last: parts.next()?.to_owned(),
        })
    };
    matches!(
        NameMatch::of(parse(a).as_ref(), parse(b).as_ref()),
        NameMatch::Same | NameMatch::Similar
    )
}

/// Scores two customers, or `None` when they are not worth proposing.
///
/// | signals                                                     | score |
/// |-------------------------------------------------------------|-------|
/// | same email, with same or similar name or same phone         | 0.98  |
/// | same email                                                  | 0.95  |
/// | same phone, same or similar name                            | 0.95  |
/// | same phone, names unknown or only first names agreeing      | 0.9   |
/// | same phone, different first names (a family landline)       | 0.6   |
/// | same name and a second signal                               | 0.85  |
/// | similar name and a second signal                            | 0.75  |
/// | same name alone (below [`MIN_SCORE`]: not proposed)         | 0.5   |
/// | similar name alone (below [`MIN_SCORE`]: not proposed)      | 0.4   |
/// | anything else                                               | None  |
///
/// A second signal is a shared email domain, email local part, address or
/// company, or a similar phone. Different names sharing only those are
/// colleagues or family and are not proposed. The family-landline case
/// lists `SAME_PHONE` alone; otherwise every signal found is listed.
pub fn score(a: &Person, b: &Person) -> Option<Likeness> {
    let names = NameMatch::of(Name::of(a).as_ref(), Name::of(b).as_ref());
    let emails_a = normalised_emails(a);
    let emails_b = normalised_emails(b);
    let same_email = emails_a.iter().any(|e| emails_b.contains(e));
    let same_phone = a
        .phones
        .iter()
        .any(|p| !p.is_empty() && b.phones.contains(p));
    let similar_phone = !same_phone
        && any_pair(&a.phones, &b.phones, |x, y| {
            x != y && phone_tail(x).is_some() && phone_tail(x) == phone_tail(y)
        });
    let same_domain = !same_email
        && any_pair(&emails_a, &emails_b, |x, y| {
            let domain = email_domain(x);
            domain == email_domain(y) && !is_free_mail(domain)
        });
    let same_local = any_pair(&written_emails(a), &written_emails(b), |x, y| {
        email_local(x) == email_local(y) && email_domain(x) != email_domain(y)
    });
    let countries_agree = match (&a.country, &b.country) {
        (Some(x), Some(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        _ => true,
    };
    let same_address = countries_agree && address_key(a).is_some_and(|k| Some(k) == address_key(b));
    let same_company = company_key(a).is_some_and(|k| Some(k) == company_key(b));

    let signals = [
        (same_email, SAME_EMAIL),
        (same_phone, SAME_PHONE),
        (names == NameMatch::Same, SAME_NAME),
        (names == NameMatch::Similar, SIMILAR_NAME),
        (same_domain, SAME_EMAIL_DOMAIN),
        (same_local, SAME_EMAIL_LOCAL),
        (similar_phone, SIMILAR_PHONE),
        (same_address, SAME_ADDRESS),
        (same_company, SAME_COMPANY),
    ];
    let reasons: Vec<_> = signals
        .into_iter()
        .filter(|&(on, _)| on)
        .map(|(_, r)| r)
        .collect();
    let name_alike = matches!(names, NameMatch::Same | NameMatch::Similar);
    let second = same_domain || same_local || similar_phone || same_address || same_company;

    let value = if same_email {
        if name_alike || same_phone { 0.98 } else { 0.95 }
    } else if same_phone {
        match names {
            NameMatch::Same | NameMatch::Similar => 0.95,
            NameMatch::Unknown | NameMatch::SameFirst => 0.9,
            NameMatch::Different => {
                return Some(Likeness {
                    score: 0.6,
                    reasons: vec![SAME_PHONE],
                });
            }
        }
    } else {
        match (names, second) {
            (NameMatch::Same, true) => 0.85,
            (NameMatch::Similar, true) => 0.75,
            (NameMatch::Same, false) => 0.5,
            (NameMatch::Similar, false) => 0.4,
            _ => return None,
        }
    };
    (value >= MIN_SCORE).then_some(Likeness {
        score: value,
        reasons,
    })
}

/// The parts of a name that are compared, folded.
struct Name {
    /// First token of the first name.
    first: String,
    /// `first` with nicknames mapped to one form.
    canonical: String,
    /// The whole last name.
    last: String,
}

impl Name {
    /// First and last name from the fields, else the first and last token
    /// of the display name; `None` when either part is unknown.
    fn of(p: &Person) -> Option<Self> {
        let from_fields = || -> Option<(String, String)> {
            let first = fold(p.first_name.as_deref()?);
            let last = fold(p.last_name.as_deref()?);
            let first = first.split(' ').next()?.to_owned();
            (!first.is_empty() && !last.is_empty()).then_some((first, last))
        };
        let from_display = || -> Option<(String, String)> {
            let folded = fold(p.name.as_deref()?);
            let mut tokens = folded.split(' ');
            let first = tokens.next()?.to_owned();
            let last = tokens.next_back()?.to_owned();
            Some((first, last))
        };
        let (first, last) = from_fields().or_else(from_display)?;
        let canonical = canonical_first_name(&first).to_owned();
        Some(Self {
            first,
            canonical,
            last,
        })
    }

    /// Soundex of the last name and the first two letters of the
    /// canonical first name: narrow enough that a block stays small in a
    /// large customer base.
    fn phonetic_key(&self) -> Option<String> {
        let start: String = self.canonical.chars().take(2).collect();
        (!start.is_empty()).then_some(())?;
        Some(format!("{}:{start}", soundex(&self.last)?))
    }
}

/// How two names relate; `SameFirst` means the first names agree (equal or
/// short forms) but the names are neither the same nor similar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameMatch {
    Unknown,
    Different,
    SameFirst,
    Similar,
    Same,
}

impl NameMatch {
    fn of(a: Option<&Name>, b: Option<&Name>) -> Self {
        let (Some(a), Some(b)) = (a, b) else {
            return Self::Unknown;
        };
        if a.canonical == b.canonical && a.last == b.last {
            return Self::Same;
        }
        let short_form = a.canonical == b.canonical || is_short_form(a, b);
        let close = || {
            if short_form && a.last == b.last {
                return true;
            }
            let full = |n: &Name, first: &str| format!("{first} {}", n.last);
            let plain = jaro_winkler(&full(a, &a.first), &full(b, &b.first));
            let canonical = jaro_winkler(&full(a, &a.canonical), &full(b, &b.canonical));
            plain.max(canonical) >= JARO_WINKLER_MIN
        };
        let key = a.phonetic_key();
        if key.is_some() && key == b.phonetic_key() && close() {
            Self::Similar
        } else if short_form {
            Self::SameFirst
        } else {
            Self::Different
        }
    }
}

/// One first name is a short form of the other: a prefix of at least three
/// letters ("jon"/"jonathan"), or a known pair of canonical names.
fn is_short_form(a: &Name, b: &Name) -> bool {
    let prefix = |x: &str, y: &str| {
        x.len().min(y.len()) >= SHORT_FORM_MIN_LEN && (x.starts_with(y) || y.starts_with(x))
    };
    prefix(&a.first, &b.first)
        || prefix(&a.canonical, &b.canonical)
        || SHORT_FORM_PAIRS.iter().any(|&(x, y)| {
            (x == a.canonical && y == b.canonical) || (x == b.canonical && y == a.canonical)
        })
}

/// Jaro–Winkler similarity, with the arguments ordered so it is symmetric.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    strsim::jaro_winkler(x, y)
}

/// Maps a folded first name to the canonical form of its nickname family
/// ("bill" → "william"); other names are returned as given.
fn canonical_first_name(folded: &str) -> &str {
    match folded {
        "abbie" | "abby" => "abigail",
        "alec" | "alex" | "alexandra" | "sasha" => "alexander",
        "andy" | "drew" => "andrew",
        "antony" | "tony" => "anthony",
        "ben" | "benny" => "benjamin",
        "charlie" | "chas" | "chuck" => "charles",
        "chris" => "christopher",
        "dan" | "danny" => "daniel",
        "dave" | "davey" | "davy" => "david",
        "deb" | "debbie" | "debby" | "debra" => "deborah",
        "don" | "donnie" => "donald",
        "ed" | "eddie" | "eddy" | "ned" | "ted" | "teddy" => "edward",
        "beth" | "betsy" | "betty" | "elisabeth" | "eliza" => "elizabeth",
        "libby" | "liz" | "lizzie" | "lizzy" => "elizabeth",
        "fred" | "freddie" | "freddy" | "frederic" => "frederick",
        "greg" => "gregory",
        "hank" | "harry" => "henry",
        "jamie" | "jim" | "jimmy" => "james",
        "jen" | "jenny" => "jennifer",
        "jess" | "jessie" => "jessica",
        "jack" | "johnnie" | "johnny" | "jon" => "john",
        "jonathon" => "jonathan",
        "joe" | "joey" => "joseph",
        "josh" => "joshua",
        "cate" | "catherine" | "cathy" | "kat" | "kate" => "katherine",
        "katharine" | "kathryn" | "kathy" | "katie" | "katy" => "katherine",
        "ken" | "kenny" => "kenneth",
        "larry" | "laurence" => "lawrence",
        "maggie" | "marge" | "margie" | "meg" | "peggy" => "margaret",
        "matt" | "matty" => "matthew",
        "mick" | "mickey" | "mike" | "mikey" => "michael",
        "nat" | "nate" => "nathaniel",
        "nick" | "nicky" | "nicolas" => "nicholas",
        "patty" | "tricia" | "trish" => "patricia",
        "paddy" => "patrick",
        "pete" => "peter",
        "becca" | "becky" => "rebecca",
        "dick" | "rich" | "richie" | "rick" | "ricky" => "richard",
        "bob" | "bobby" | "rob" | "robbie" | "robby" => "robert",
        "ron" | "ronnie" => "ronald",
        "sammy" => "samuel",
        "steve" | "steven" | "stevie" => "stephen",
        "sue" | "susie" | "suzy" => "susan",
        "theo" => "theodore",
        "tom" | "tommy" => "thomas",
        "tim" | "timmy" => "timothy",
        "tori" | "vicki" | "vicky" => "victoria",
        "bill" | "billy" | "liam" | "will" | "willie" | "willy" => "william",
        "zach" | "zack" => "zachary",
        other => other,
    }
}

/// American Soundex of the lower-case letters of `word` ("smith" → "S530").
fn soundex(word: &str) -> Option<String> {
    let digit = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => Some('1'),
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => Some('2'),
        'd' | 't' => Some('3'),
        'l' => Some('4'),
        'm' | 'n' => Some('5'),
        'r' => Some('6'),
        _ => None,
    };
    let mut letters = word.chars().filter(char::is_ascii_lowercase);
    let first = letters.next()?;
    let mut code = String::with_capacity(4);
    code.push(first.to_ascii_uppercase());
    let mut previous = digit(first);
    for c in letters {
        // h and w do not separate equal codes; vowels do.
        if matches!(c, 'h' | 'w') {
            continue;
        }
        let current = digit(c);
        if let Some(d) = current.filter(|&d| previous != Some(d)) {
            code.push(d);
        }
        previous = current;
    }
    code.truncate(4);
    Some(format!("{code:0<4}"))
}

/// Accents removed, lower-cased, only ASCII letters, digits and single
/// spaces kept ("O'Brien-Núñez" → "obrien nunez").
fn fold(text: &str) -> String {
    let lowered = deunicode::deunicode(text).to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    let mut gap = false;
    for c in lowered.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        } else if c != '\'' {
            gap = true;
        }
    }
    out
}

fn normalised_emails(p: &Person) -> Vec<String> {
    p.emails
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(String::as_str)
        .map(normalise_email)
        .collect()
}

/// The emails as written ([`written_email`]): the part before `@` is
/// compared as the customer typed it (Gmail's dots count there).
fn written_emails(p: &Person) -> Vec<String> {
    p.emails
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| written_email(e))
        .collect()
}

fn email_local(email: &str) -> &str {
    email.rsplit_once('@').map_or(email, |(local, _)| local)
}

fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Free-mail providers, whose shared domain says nothing about a person.
fn is_free_mail(domain: &str) -> bool {
    match domain {
        "" | "163.com" | "aol.com" | "gmail.com" | "gmx.de" | "gmx.net" => true,
        "googlemail.com" | "icloud.com" | "live.com" | "mail.ru" | "me.com" => true,
        "outlook.com" | "proton.me" | "protonmail.com" | "qq.com" | "web.de" => true,
        "yandex.ru" => true,
        _ => domain.starts_with("hotmail.") || domain.starts_with("yahoo."),
    }
}

/// The last eight characters of a phone, if they are all digits.
fn phone_tail(phone: &str) -> Option<&str> {
    let tail = phone.get(phone.len().checked_sub(PHONE_TAIL_LEN)?..)?;
    tail.bytes().all(|b| b.is_ascii_digit()).then_some(tail)
}

fn any_pair(a: &[String], b: &[String], same: impl Fn(&str, &str) -> bool) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| same(x.as_str(), y.as_str())))
}

fn address_key(p: &Person) -> Option<(String, String)> {
    let line = fold(p.address_line1.as_deref()?);
    let postal = fold(p.postal_code.as_deref()?).replace(' ', "");
    (!line.is_empty() && !postal.is_empty()).then_some((line, postal))
}

fn company_key(p: &Person) -> Option<String> {
    let folded = fold(p.company.as_deref()?);
    let mut words: Vec<&str> = folded.split(' ').collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_FORMS.contains(w)) {
        words.pop();
    }
    let key = words.join(" ");
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(first: &str, last: &str, email: &str, phone: &str) -> Person {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Person {
            first_name: some(first),
            last_name: some(last),
            emails: some(email).into_iter().collect(),
            phones: some(phone).into_iter().collect(),
            ..Person::default()
        }
    }

    fn likeness(score: f64, reasons: &[&'static str]) -> Option<Likeness> {
        Some(Likeness {
            score,
            reasons: reasons.to_vec(),
        })
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalise_email(" John.Doe+crm@GoogleMail.com "),
            "johndoe@gmail.com"
        );
        assert_eq!(
            normalise_email("jane.doe+x@example.com"),
            "jane.doe@example.com"
        );
        assert_eq!(normalise_email("+only@example.com"), "+only@example.com");
        assert_eq!(normalise_email("no-at-sign"), "no-at-sign");
        assert!(is_free_mail("yahoo.co.uk") && !is_free_mail("acme.io"));
    }

    #[test]
    fn blocking_keys_of_a_typical_person() {
        let p = person(
            "Bill",
            "Smith",
            "bill.smith+news@example.com",
            "+4915112345678",
        );
        let expected = [
            "e:bill.smith@example.com",
            "n:william smith",
            "p:+4915112345678",
            "s:S530:wi",
        ];
        assert_eq!(blocking_keys(&p), expected);
        let display = Person {
            name: Some(" Jon  van der Smith ".into()),
            ..Person::default()
        };
        assert!(blocking_keys(&display).contains(&"n:john smith".to_owned()));
        let single = Person {
            name: Some("Cher".into()),
            ..Person::default()
        };
        assert!(blocking_keys(&single).is_empty());
    }

    #[test]
    fn long_keys_are_cut_to_the_key_column() {
        let email = format!("{}@{}.com", "a".repeat(64), "b".repeat(61));
        let p = person(&"é".repeat(255), &"ß".repeat(255), &email, "");
        let keys = blocking_keys(&p);
        assert!(
            keys.iter().all(|k| k.chars().count() <= MAX_KEY_CHARS),
            "{keys:?}"
        );
        assert!(
            keys.iter()
                .any(|k| k.starts_with("n:") && k.chars().count() == MAX_KEY_CHARS),
            "{keys:?}"
        );
        let other = person(&"é".repeat(255), &"ß".repeat(254), &email, "");
        assert!(
            blocking_keys(&other).iter().any(|k| keys.contains(k)),
            "names alike up to the cut share a block"
        );
    }

    #[test]
    fn short_form_with_company_domain_is_similar() {
        let a = person("Jon", "Smith", "jon@acme.io", "");
        let b = person("Jonathan", "Smith", "jonathan.smith@acme.io", "");
        assert_eq!(
            score(&a, &b),
            likeness(0.75, &[SIMILAR_NAME, SAME_EMAIL_DOMAIN])
        );
    }

    #[test]
    fn accents_do_not_matter() {
        let a = person("José", "García", "", "");
        let b = person("Jose", "Garcia", "", "");
        assert!(blocking_keys(&a).contains(&"n:jose garcia".to_owned()));
        assert_eq!(blocking_keys(&a), blocking_keys(&b));
        // A name alone is not enough to propose them.
        assert_eq!(score(&a, &b), None);
        let (mut a, mut b) = (a, b);
        for p in [&mut a, &mut b] {
            p.address_line1 = Some("Calle Mayor 1".into());
            p.postal_code = Some("28013".into());
        }
        assert_eq!(score(&a, &b), likeness(0.85, &[SAME_NAME, SAME_ADDRESS]));
    }

    #[test]
    fn shared_phone_with_different_first_names_scores_low() {
        let a = person("Anna", "Schmidt", "", "+4930123456");
        let b = person("Peter", "Schmidt", "", "+4930123456");
        assert_eq!(score(&a, &b), likeness(0.6, &[SAME_PHONE]));
        let c = person("Anna", "Schmidt", "anna@example.org", "+4930123456");
        assert_eq!(score(&a, &c), likeness(0.95, &[SAME_PHONE, SAME_NAME]));
    }

    #[test]
    fn colleagues_are_not_proposed() {
        let mut a = person("Anna", "Müller", "anna.mueller@acme.de", "");
        let mut b = person("Peter", "Schmidt", "peter.schmidt@acme.de", "");
        for p in [&mut a, &mut b] {
            p.company = Some("ACME GmbH".into());
            p.address_line1 = Some("Hauptstraße 1".into());
            p.postal_code = Some("10115".into());
        }
        assert_eq!(score(&a, &b), None);
        let mut same = person("Anna", "Muller", "anna.mueller@web.de", "");
        same.company = Some("Acme".into());
        let reasons = [SAME_NAME, SAME_EMAIL_LOCAL, SAME_COMPANY];
        assert_eq!(score(&a, &same), likeness(0.85, &reasons));
    }

    #[test]
    fn the_local_part_is_compared_as_written() {
        let gmail = person("Ida", "Wells", "Ida.Wells+shop@gmail.com", "");
        let web = person("Ida", "Wells", "ida.wells@web.de", "");
        let posteo = person("Ida", "Wells", "idawells@posteo.de", "");
        let reasons = [SAME_NAME, SAME_EMAIL_LOCAL];
        assert_eq!(score(&gmail, &web), likeness(0.85, &reasons));
        // Gmail ignores the dots, but the part before `@` differs.
        assert_eq!(score(&gmail, &posteo), None);
        assert_eq!(score(&web, &posteo), None);
    }

    #[test]
    fn typos_meet_on_the_phonetic_key() {
        assert_eq!(soundex("ashcraft").as_deref(), Some("A261"));
        assert_eq!(soundex("tymczak").as_deref(), Some("T522"));
        let a = person("Jonathan", "Smith", "", "");
        let b = person("Jonathon", "Smyth", "", "");
        assert!(blocking_keys(&a).contains(&"s:S530:jo".to_owned()));
        assert!(blocking_keys(&b).contains(&"s:S530:jo".to_owned()));
        assert_eq!(score(&a, &b), None);
        let (mut a, mut b) = (a, b);
        for p in [&mut a, &mut b] {
            p.company = Some("Initech".into());
        }
        assert_eq!(score(&a, &b), likeness(0.75, &[SIMILAR_NAME, SAME_COMPANY]));
    }

    #[test]
    fn score_is_symmetric() {
        let people = [
            person("Jon", "Smith", "jon@acme.io", "+4915112345678"),
            person("Jonathan", "Smyth", "jonathan@acme.io", "+4915212345678"),
            person("Bill", "Smith", "JON@acme.io", ""),
            person("William", "Smith", "w.smith@gmail.com", "+4915112345678"),
            person("Anna", "Smith", "", "+4915112345678"),
            Person {
                name: Some("Jon Smith".into()),
                ..Person::default()
            },
        ];
        for a in &people {
            for b in &people {
                assert_eq!(score(a, b), score(b, a), "{a:?} / {b:?}");
            }
        }
    }
}
